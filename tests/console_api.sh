#!/usr/bin/env bash
# console_api.sh - titlecert-console's API tested from outside (console_api.py): a demo workflow
# store with keys and accounts made on the host, titlecert-signer, and two consoles on the store
# (one with short session and re-authentication limits for the timeout and lockout checks), all on 127.0.0.1 and stopped at the
# end. Also: the console links no code that signs. Prints TAP (the Python part's, then its own).
# usage: console_api.sh KEYS ISSUER SIGNER CONSOLE DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") signer=$(realpath "$3") console=$(realpath "$4")
data=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
export PW='console api test passphrase'
P=(--passphrase-env PW)
. "$here/demo_today.sh" # today, from and to
{
  "$keys" root-create --out root --name root --kdf interactive "${P[@]}"
  "$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}"
  "$keys" issuer-create --out pub --name 发布 --kdf interactive "${P[@]}"
  "$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}"
  "$keys" endorse --root root.key --issuer ws.pub --from "$from" --to "$to" --region 62 \
    --tracks basic,province --out ws.end "${P[@]}"
  "$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
    --tracks status,register --out pub.end "${P[@]}"
  "$keys" trust-list --root root.key --version 1 --out trust.list ws.end pub.end "${P[@]}"
  "$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" --demo
} > setup.log 2>&1 || { echo "Bail out! setup failed"; cat setup.log; exit 1; }
D=(--db gs.db --hash-key store.key "${P[@]}")
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >>setup.log 2>&1
for k in employment assessments ce; do "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >>setup.log 2>&1; done
kid=$("$keys" show ws.pub | sed -n 's/^public issuer key //p')
"$issuer" seal "${D[@]}" --kid "$kid" --organiser 甘肃省卫生健康委员会（示例） \
  --image "$data/samples/demo-seal.svg" >>setup.log 2>&1
printf '%s\n' "$PW" > pass.txt && chmod 600 pass.txt
pw() { printf 'password-of-%s-1\n' "$1" > "$1.pw"; chmod 600 "$1.pw"; }
for a in admin1 admin2; do
  pw $a
  "$issuer" account add $a --name "管理员$a" --roles admin --password-file $a.pw "${D[@]}" >>setup.log 2>&1
done
c=0
echo '{' > accounts.json
sep=
for a in clerk1:clerk approver1:approver custodian1:custodian auditor1:auditor victim1:clerk victim2:clerk; do
  name=${a%%:*}; pw "$name"
  "$issuer" account add "$name" --name "人员$name" --roles "${a##*:}" --as admin1 --password-file admin1.pw \
    "${D[@]}" 2>>setup.log | sed -n 's/^enrolment code.*: //p' > "$name.code"
  chmod 600 "$name.code"; c=$((c + 1))
  # admin2, confirming the roles, is shown the code's second half: the person enters both
  half=$("$issuer" account confirm $c --as admin2 --password-file admin2.pw "${D[@]}" 2>>setup.log |
    sed -n 's/^enrolment code.*: //p')
  printf '%s %s\n' "$(cat "$name.code")" "$half" > "$name.code"
  "$issuer" account enrol "$name" --code-file "$name.code" --password-file "$name.pw" "${D[@]}" >>setup.log 2>&1
  printf '%s "%s": {"password": "%s"}\n' "$sep" "$name" "$(head -1 "$name.pw")" >> accounts.json; sep=,
done
printf ',"admin1": {"password": "%s"}}\n' "$(head -1 admin1.pw)" >> accounts.json
cp "$data/samples/gs-results.csv" results.csv
python3 "$here/gen_results.py" 100000 700000 12620102438000123H > big.csv
{ head -1 results.csv; echo '=HYPERLINK("http://x"),620102198503121534,WS-YL,内科学,副高级,basic,review,2020,2020-06-15,2020-07,12620102438000123H,,,,101,甘卫高评〔2020〕12号'; } > formula.csv
echo 0 > clock
export TITLECERT_DEMO_CLOCK=@$work/clock
mkdir -p pub
"$signer" serve --socket "$work/s.sock" --db gs.db --hash-key store.key --key ws.key \
  --publication-key pub.key --root root.pub --trust-list trust.list --publish-dir pub \
  --log signer.log --state signer.state --demo 2>>signer.log &
pids+=($!)
C=(serve --db gs.db --hash-key store.key --root root.pub --trust-list trust.list --issuer-pub ws.pub
   --publish-dir pub --passphrase-file pass.txt --signer-socket "$work/s.sock" --web "$here/../console/web")
# two consoles on free ports side by side (another test's server on either would answer for
# these); other ports when one was taken between the probe and the bind (tests run side by side)
for try in 1 2 3 4 5; do
  while port=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
    (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do :; done
  "$console" "${C[@]}" --listen "127.0.0.1:$port" 2>console.log &
  c1=$!
  "$console" "${C[@]}" --listen "127.0.0.1:$((port + 1))" --idle 6 --session-max 12 --reauth 1 2>console2.log &
  c2=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$((port + 1))/healthz" >/dev/null 2>&1 && break
    kill -0 $c1 2>/dev/null && kill -0 $c2 2>/dev/null || break
    sleep 0.1
  done
  kill -0 $c1 2>/dev/null && kill -0 $c2 2>/dev/null && break
  kill $c1 $c2 2>/dev/null; wait $c1 $c2 2>/dev/null
  grep -q listen console.log console2.log || break
done
pids+=($c1 $c2)
python3 "$here/console_api.py" "http://127.0.0.1:$port" "http://127.0.0.1:$((port + 1))" accounts.json \
  "$work" "$work/clock" | tee tap.txt | grep -v '^1\.\.'
status=${PIPESTATUS[0]}
n=$(grep -c '^\(not \)\?ok ' tap.txt)
# a second factor marked on whose secret is gone from the store's file: the password alone is
# not offered a new seed (that would let it enrol an app of its own), and the factor stays on
python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1], timeout=20); d.execute("UPDATE accounts SET totp_secret = NULL, totp_on = 1 WHERE name = ?", ("clerk1",)); d.commit()' gs.db
code=$(curl -s -o login.json -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
  -d "{\"account\": \"clerk1\", \"password\": \"$(head -1 clerk1.pw)\"}" "http://127.0.0.1:$port/api/login")
still=$(python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1], timeout=20); print(d.execute("SELECT totp_on, totp_secret IS NULL FROM accounts WHERE name = ?", ("clerk1",)).fetchone())' gs.db)
n=$((n + 1))
if [ "$code" = 500 ] && ! grep -q totp_enrol login.json && [ "$still" = "(1, 1)" ]; then
  echo "ok $n - a factor marked on without its secret: the password alone gets no new seed (HTTP $code), the factor stays on"
else
  echo "not ok $n - a factor marked on without its secret: HTTP $code, $(head -c 200 login.json), store $still"; status=1
fi
# the console signs nothing: no file or token signing code, no Ed25519 signing import
n=$((n + 1))
if nm "$console" | grep -qE 'tc_keys_signer_open|tc_keys_pkcs11_open|file_sign' ||
   nm -D "$console" | grep -qw crypto_sign_detached; then
  echo "not ok $n - the console links no code that signs with a key"; status=1
else
  echo "ok $n - the console links no code that signs with a key (nm)"
fi
n=$((n + 1))
if grep -q -e 'password-of-' -e "$PW" console.log console2.log signer.log; then
  echo "not ok $n - no password or passphrase in the logs"; status=1
else
  echo "ok $n - no password or passphrase in the logs"
fi
echo "1..$n"
exit "$status"
