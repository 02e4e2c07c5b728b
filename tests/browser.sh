#!/usr/bin/env bash
# browser.sh - the public page in Debian's chromium, driven by playwright-core (installed from the
# lockfile in tests/browser). Sets up the GS fixture and a server, runs page.test.mjs, and turns
# its results into TAP. Screenshots are kept in SHOTS (the build directory).
# usage: browser.sh KEYS ISSUER VERIFIER DATA_DIR SHOTS_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
shots=$(realpath -m "$5")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
  echo "not ok 1 - /usr/bin/chromium and node are needed (scripts/deps.sh test installs them)"
  echo "1..1"; exit 1
fi
if [ ! -d "$here/browser/node_modules/playwright-core" ]; then
  (cd "$here/browser" && npm ci --no-audit --no-fund --silent) || {
    echo "not ok 1 - npm ci for playwright-core failed"; echo "1..1"; exit 1; }
fi
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
gs_fixture
start_server || { echo "not ok 1 - the server did not start"; sed 's/^/# /' server.err; echo "1..1"; exit 1; }
# the page test calls this to revoke the basic-level certificate and reload the bundle
cat > revoke_and_reload.sh <<SH
#!/usr/bin/env bash
cd "$work" && export PW='$PW' &&
"$issuer" revoke --db gs.db --hash-key store.key --passphrase-env PW --reason fraud ${ids[1]} >/dev/null &&
"$issuer" bundle export --db gs.db --hash-key store.key --passphrase-env PW --key ws.key --root root.pub --trust-list trust.list --out v2.bundle >/dev/null &&
cp v2.bundle live.tmp && mv live.tmp live.bundle && kill -HUP $server &&
for _ in \$(seq 1 50); do curl -s --max-time 1 $U/healthz | grep -q '"bundle_version":2' && exit 0; sleep 0.1; done; exit 1
SH
chmod +x revoke_and_reload.sh
export TC_URL="$U" SHOTS="$shots" TC_BASIC_PNG="$work/certs/${ids[1]}.png"
export TC_BASIC_LINK_PATH="/v#$(cat "certs/${ids[1]}.txt")" TC_REVOKE_AND_RELOAD="$work/revoke_and_reload.sh"
timeout 150 node --test --test-reporter=tap "$here/browser/page.test.mjs" > node.tap 2>&1
status=$?
# re-emit the top-level results as plain TAP, with the failure details as comments
grep -E '^(not )?ok [0-9]+ - ' node.tap | sed -E 's/^((not )?ok) [0-9]+ - /\1 - /' | while read -r line; do
  n=$((n + 1)); echo "$line" | sed -E "s/^(not ok|ok) - /\1 $n - /"
  case "$line" in not*) sed -n '/^not ok/,/^ *\.\.\.$/p' node.tap | sed 's/^/# /' | head -30 ;; esac
done > results.tap
cat results.tap
count=$(grep -cE '^(not )?ok ' results.tap)
echo "1..$count"
[ "$status" = 0 ] && [ "$count" -gt 0 ] && ! grep -q '^not ok' results.tap
