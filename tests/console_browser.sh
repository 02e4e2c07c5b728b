#!/usr/bin/env bash
# console_browser.sh - the HR console in Debian's chromium, driven by playwright-core (installed
# from the lockfile in tests/browser): a demo workflow store with two admins bootstrapped on the
# host, titlecert-signer and titlecert-console on 127.0.0.1 (plain HTTP: Chromium keeps the
# __Host- cookie with Secure for a loopback origin, docs/DECISIONS.md), then
# browser/console.test.mjs walks a batch from upload to the public page with four people in four
# browser contexts. The store's clock is the file clock (-14 for the 公示, 0 after). Every
# service runs under `timeout` and stops by itself; screenshots are kept in SHOTS_DIR.
# usage: console_browser.sh KEYS ISSUER VERIFIER SIGNER CONSOLE DATA_DIR SHOTS_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") signer=$(realpath "$4")
console=$(realpath "$5") data=$(realpath "$6") shots=$(realpath -m "$7")
here=$(dirname "$(realpath "$0")")
src=$(dirname "$here")
. "$here/console_fixture.sh"
bail() { { echo "not ok 1 - $1"; [ -n "${2:-}" ] && sed 's/^/# /' "$2" | tail -40; } | tee /dev/stderr; echo "1..1"; exit 1; }
[ -x /usr/bin/chromium ] || bail "/usr/bin/chromium is missing (scripts/deps.sh test installs Debian's chromium)"
command -v node >/dev/null || bail "node is missing (scripts/deps.sh test installs Debian's nodejs)"
mkdir -p "$shots"
npmlog=$(realpath -m "$shots/../browser-npm.log")
# one npm ci at a time under a lock on the folder (browser tests run side by side), none once
# playwright-core is in place
(cd "$here/browser" && flock . sh -c '[ -f node_modules/playwright-core/package.json ] ||
  npm ci --no-audit --no-fund') >"$npmlog" 2>&1 ||
  bail "npm ci for playwright-core (tests/browser/package-lock.json) failed; its log:" "$npmlog"
work=$(mktemp -d)
cleanup() { stop_services; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
console_fixture || bail "the store could not be set up"
# the walk takes about two minutes, more beside other tests: the services stop by themselves
# after 280 s
start_services 280 --reauth 20 || bail "the signer or the console did not start" console.err
# another origin of the same site (127.0.0.1, another port) for the CSRF attempt: a page served
# by a plain web server (a page Playwright makes up has no address, and Chromium's local network
# access rules would stop its requests before the console sees them)
mkdir -p other && echo '<!doctype html><title>another origin</title><p>another origin</p>' > other/index.html
other_port=$(cf_port) || bail "no free port"
timeout 280 python3 -m http.server --bind 127.0.0.1 --directory other "$other_port" >/dev/null 2>&1 &
cf_pids+=($!)
cf_wait_http "http://127.0.0.1:$other_port/" $! || bail "the other origin's web server did not start"
# after publication: the public page serving it, and the certificates' files from the store
cat > published.sh <<SH
#!/usr/bin/env bash
# published.sh ISSUE_BATCH: prints the public page's URL
cd '$work' || exit 2
keys='$keys' issuer='$issuer' verifier='$verifier' data='$data' src='$src'
. '$here/console_fixture.sh'
u=\$(start_verifier 200) || { cat verifier.err >&2; exit 1; }
"\$issuer" render --db gs.db --hash-key store.key --passphrase-env PW --out-dir certs \\
  --base-url "\$u" --batch "\$1" >/dev/null 2>render.err || { cat render.err >&2; exit 1; }
echo "\$u"
SH
chmod +x published.sh
export TC_CONSOLE_URL="$CONSOLE_URL" TC_OTHER_ORIGIN="http://127.0.0.1:$other_port" TC_WORK="$work" SHOTS="$shots" TC_TOTP_PY="$here/totp.py"
export TC_RESULTS="$data/samples/gs-results.csv" TC_CALENDAR_FILE="$data/calendar/2026.json"
export TC_PUBLISHED="$work/published.sh" TC_ADMIN1_CODE="$(cat admin1.code)" TC_KEYS_PASSPHRASE="$PW"
timeout 250 node --test --test-reporter=tap "$here/browser/console.test.mjs" > node.tap 2>&1
status=$?
cp node.tap "$shots/../browser-console-node.tap" 2>/dev/null
# the top-level results as plain TAP, each failure with its whole diagnostic (as browser.sh)
awk '
  /^(not )?ok [0-9]+ - / { n++; line = $0; sub(/^(not )?ok [0-9]+ - /, "", line)
                           fail = ($0 ~ /^not ok/); print (fail ? "not ok " : "ok ") n " - " line; next }
  fail && /^ *\.\.\.$/ { fail = 0; next }
  fail { print "# " $0 }
' node.tap > results.tap
grep -q '^not ok' results.tap && grep -m5 '^# Error' node.tap | sed 's/^# /# (outside a step) /' >> results.tap
cat results.tap
if grep -q '^not ok' results.tap; then
  grep -v '^ok ' results.tap >&2
  { echo "# the console's log:"; sed 's/^/#   /' console.err | tail -15; echo "# the signer's log:"; sed 's/^/#   /' signer.log | tail -15; } >&2
fi
count=$(grep -cE '^(not )?ok ' results.tap)
if [ "$count" = 0 ]; then
  if [ "$status" = 124 ]; then why="the console's browser walk passed its 200 s limit"; else why="no browser test ran (node exit $status)"; fi
  bail "$why; node printed:" node.tap
fi
echo "1..$count"
[ "$status" = 0 ] && ! grep -q '^not ok' results.tap
