#!/usr/bin/env bash
# browser.sh - the public page in Debian's chromium, driven by playwright-core (installed from the
# lockfile in tests/browser). Sets up the GS fixture and a server, runs one test file (default
# page.test.mjs), and turns its results into TAP. Screenshots are kept in SHOTS (the build
# directory). Test files other than page.test.mjs get a fixture with one certificate revoked
# (the third, a township title) and one signed outside the store (not registered).
# usage: browser.sh KEYS ISSUER VERIFIER DATA_DIR SHOTS_DIR [TEST_FILE]
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
shots=$(realpath -m "$5")
file=${6:-page.test.mjs}
name=${file%.test.mjs}
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
# failures go to standard error as well: 'meson test --print-errorlogs' shows only that
bail() { { echo "not ok 1 - $1"; [ -n "${2:-}" ] && sed 's/^/# /' "$2" | tail -40; } | tee /dev/stderr; echo "1..1"; exit 1; }
[ -x /usr/bin/chromium ] || bail "/usr/bin/chromium is missing (scripts/deps.sh test installs Debian's chromium)"
command -v node >/dev/null || bail "node is missing (scripts/deps.sh test installs Debian's nodejs)"
npmlog=$(realpath -m "$shots/../browser-npm.log")
mkdir -p "$(dirname "$npmlog")"
# one npm ci at a time under a lock on the folder (browser tests run side by side), none once
# playwright-core is in place
(cd "$here/browser" && flock . sh -c '[ -f node_modules/playwright-core/package.json ] ||
  npm ci --no-audit --no-fund') >"$npmlog" 2>&1 ||
  bail "npm ci for playwright-core (tests/browser/package-lock.json) failed; its log:" "$npmlog"
# engine mismatch: say which playwright-core wants which node, instead of a bare test failure
engine=$(cd "$here/browser" && node -e '
  const p = require("./node_modules/playwright-core/package.json");
  const want = (p.engines && p.engines.node || "").match(/>=\s*(\d+)/);
  const have = Number(process.versions.node.split(".")[0]);
  if (want && have < Number(want[1]))
    console.log(`playwright-core ${p.version} needs node ${p.engines.node}, this node is ${process.version}`);
' 2>&1)
[ -z "$engine" ] || bail "engine mismatch: $engine"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "${stale_server:-}" ] && kill "$stale_server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
gs_fixture
if [ "$file" != page.test.mjs ]; then
  # revoked: the third certificate; not registered: one signed with the committee's key outside
  # the store (as scripts/demo.sh shows), signed before the bundle is exported: one signed after
  # it would be "issued since the register was last updated", a different message, and which of
  # the two a run saw would depend on a second boundary falling between the two commands
  "$issuer" sign --key ws.key --claims "$data/samples/gs-basic.json" --out-dir outside \
    --base-url http://127.0.0.1:8080 "${P[@]}" >/dev/null &&
  "$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null &&
  "$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out v1.bundle >/dev/null &&
  cp v1.bundle live.bundle || bail "the fixture's revocation or outside signature failed"
fi
if [ "$file" = gongshi.test.mjs ]; then
  # the 公示 of the fixture's batch, as publish writes it beside the bundle and the register
  "$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 1 >/dev/null ||
    bail "publish --batch 1 (the 公示) failed"
  export TC_GONGSHI="$work/pub/gongshi-1.html"
fi
# a second verifier whose status is out of date (maximum age 1 s), for the stale-status step
cp v1.bundle stale.bundle
BUNDLE=stale.bundle STATE=state-stale start_server --max-age 1 || { echo "not ok 1 - the stale server did not start"; echo "1..1"; exit 1; }
stale_server=$server STALE_U=$U
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
export TC_URL="$U" TC_STALE_URL="$STALE_U" SHOTS="$shots" TC_BASIC_PNG="$work/certs/${ids[1]}.png"
export TC_CERTS="$work/certs" TC_IDS="${ids[*]}" TC_OUTSIDE="$work/outside" TC_WORK="$work"
export TC_BASIC_LINK_PATH="/v#$(cat "certs/${ids[1]}.txt")" TC_OLD_LINK_PATH="/v#$(cat "certs/${ids[0]}.txt")" TC_REVOKE_AND_RELOAD="$work/revoke_and_reload.sh"
timeout 200 node --test --test-reporter=tap "$here/browser/$file" > node.tap 2>&1
status=$?
cp node.tap "$(dirname "$npmlog")/browser-$name-node.tap" 2>/dev/null
# re-emit the top-level results as plain TAP, each failure followed by its whole diagnostic
# (the failing step, the error and what the page showed)
awk '
  /^(not )?ok [0-9]+ - / { n++; line = $0; sub(/^(not )?ok [0-9]+ - /, "", line)
                           fail = ($0 ~ /^not ok/); print (fail ? "not ok " : "ok ") n " - " line; next }
  fail && /^ *\.\.\.$/ { fail = 0; next }
  fail { print "# " $0 }
' node.tap > results.tap
# errors outside any step (an uncaught exception, a hook) are top-level comments: keep them
grep -q '^not ok' results.tap && grep -m5 '^# Error' node.tap | sed 's/^# /# (outside a step) /' >> results.tap
cat results.tap
grep -q '^not ok' results.tap && grep -v '^ok ' results.tap >&2
count=$(grep -cE '^(not )?ok ' results.tap)
if [ "$count" = 0 ]; then
  # nothing ran (a launch error in before(), a syntax error, the time limit): show why
  if [ "$status" = 124 ]; then why="the browser tests passed their 150 s limit"; else why="no browser test ran (node exit $status)"; fi
  bail "$why; node printed:" node.tap
fi
echo "1..$count"
[ "$status" = 0 ] && ! grep -q '^not ok' results.tap
