#!/usr/bin/env bash
# http_verifier.sh - the real titlecert-verifier server on 127.0.0.1: every API path and its
# errors, the page and its security headers, metrics, and the bundle hot reload under load
# (file replaced, SIGHUP, a bad and an older bundle refused with the old one kept), with no
# request failing. The whole flow from issuance to re-verification after revocation runs through
# the real programs. Prints TAP. usage: http_verifier.sh KEYS ISSUER VERIFIER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
. "$(dirname "$(realpath "$0")")/tap.sh"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
. "$(dirname "$(realpath "$0")")/gs_fixture.sh"
gs_fixture
start_server
truth "the server listens on 127.0.0.1" [ -n "$server" ]
[ -n "$server" ] || { finish; exit 1; }
post() { curl -s --max-time 5 -o out.json -w '%{http_code}' -X POST "$U/api/v1/verify" -H 'Content-Type: application/json' -d "$1"; }
field() { python3 -c "import json,sys; d=json.load(open('out.json')); print(eval(sys.argv[1]))" "$1"; }
payload() { cat "certs/$1.txt"; }

truth "POST /api/v1/verify: a basic-level title without a unit is valid" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\"}")" = 200 -a "$(field "d['verdict']")" = valid ]
truth "the verdict says the scope in words (S3)" [ "$(field "d['scope_text']['zh']")" = "限甘肃省基层单位使用" ]
truth "at a county health centre: valid (S1)" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\",\"unit\":\"12620102438000123H\"}")" = 200 -a "$(field "d['verdict']")" = valid ]
post "{\"payload\":\"$(payload "${ids[1]}")\",\"unit\":\"12620000438000456W\"}" >/dev/null
truth "at the provincial hospital: not_valid_here, unit_not_basic_level (S1)" \
  [ "$(field "d['verdict']")" = not_valid_here -a "$(field "d['reasons'][0]['code']")" = unit_not_basic_level ]
post "{\"payload\":\"$(cat certs/${ids[0]}.link)\"}" >/dev/null
truth "a link works as a payload, and the old QR after conversion is superseded (C1)" \
  [ "$(field "d['verdict']")" = superseded ]
truth "garbage is invalid (200 with a verdict)" [ "$(post '{"payload":"TC1:123"}')" = 200 -a "$(field "d['verdict']")" = invalid ]
truth "a body that is not JSON is 400" [ "$(post 'not json')" = 400 ]
truth "a missing payload is 400" [ "$(post '{"unit":"12620102438000123H"}')" = 400 ]
truth "an unknown member is 400" [ "$(post '{"payload":"x","evil":1}')" = 400 ]
truth "a bad unit is 400" [ "$(post '{"payload":"x","unit":"abc"}')" = 400 ]
truth "a bad date is 400" [ "$(post '{"payload":"x","at":"2026-02-30"}')" = 400 ]
head -c 20000 /dev/zero | tr '\0' 'a' > big.txt
truth "a 20 KB body is 413" [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$U/api/v1/verify" --data-binary @big.txt)" = 413 ]
truth "GET on /api/v1/verify is 405" [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$U/api/v1/verify")" = 405 ]
truth "an unknown API path is 404 JSON" [ "$(curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/api/v1/nope")" = 404 -a "$(field "d['error']")" = not_found ]
truth "POST /api/v1/verify-image with the QR PNG: valid" \
  [ "$(curl -s --max-time 5 -o out.json -w '%{http_code}' -X POST "$U/api/v1/verify-image?unit=12620102438000123H" --data-binary @certs/${ids[1]}.png)" = 200 -a "$(field "d['verdict']")" = valid ]
truth "an upload that is not an image is 415" \
  [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$U/api/v1/verify-image" --data-binary @big.txt)" = 415 ]
truth "GET /api/v1/units/{uscc} finds a unit" \
  [ "$(curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/api/v1/units/12622901438000777Q")" = 200 -a "$(field "d['basic_level']")" = True ]
truth "an unknown unit is 404" [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$U/api/v1/units/12620102438000999Q")" = 404 ]
truth "units can be searched by name" \
  [ "$(curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/api/v1/units?q=%E4%B8%B4%E5%A4%8F")" = 200 -a "$(field "len(d['units'])")" = 1 ]
truth "units searched by name answer how each matched, the total and whether there are more" \
  [ "$(field "d['units'][0]['match']")" = name -a "$(field "d['total']")" = 1 -a "$(field "d['more']")" = False ]
# pinyin initials, a code prefix and the characters in order (unitsearch.c)
get_units() { curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/api/v1/units?q=$1"; }
truth "units by pinyin initials: srmyy finds 甘肃省人民医院（示例）" \
  [ "$(get_units srmyy)" = 200 -a "$(field "[u['name'] for u in d['units'] if u['match'] == 'initials'][0]")" = 甘肃省人民医院（示例） ]
truth "units by the characters of the name in order: 省医院 (parts)" \
  [ "$(get_units %E7%9C%81%E5%8C%BB%E9%99%A2)" = 200 -a "$(field "d['units'][0]['match']")" = parts -a "$(field "d['units'][0]['uscc']")" = 12620000438000456W ]
truth "units by the start of the code, ranked first (code)" \
  [ "$(get_units 1262290)" = 200 -a "$(field "d['units'][0]['match']")" = code -a "$(field "d['units'][0]['uscc']")" = 12622901438000777Q ]
truth "every answer counts all matches: total >= units, at most 20 units" \
  [ "$(get_units 12)" = 200 -a "$(field "d['total'] >= len(d['units']) and len(d['units']) <= 20")" = True ]
truth "a one-letter query is 400 bad_query (bounds unchanged)" [ "$(get_units r)" = 400 -a "$(field "d['error']")" = bad_query ]
truth "a 65-byte query is 400 bad_query" [ "$(get_units "$(printf 'a%.0s' $(seq 1 65))")" = 400 ]
truth "GET /api/v1/service names the operator and its contact" \
  [ "$(get_units x >/dev/null; curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/api/v1/service")" = 200 \
    -a "$(field "d['operator']['zh']")" = 甘肃省人力资源和社会保障厅 -a -n "$(field "d['contact']['zh']")" ]
truth "with the contact marked as an example in the sample profile" [ "$(field "'（示例）' in d['contact']['zh'] and '(example)' in d['contact']['en']")" = True ]
truth "and the province, the bundle version and its age" \
  [ "$(field "d['province']")" = 甘肃省 -a "$(field "d['bundle_version']")" = 1 -a "$(field "d['bundle_age_seconds'] >= 0 and d['stale'] is False")" = True ]
truth "and nothing private: only the members the page needs" \
  [ "$(field "sorted(d)")" = "['bundle_age_seconds', 'bundle_version', 'contact', 'operator', 'province', 'province_en', 'stale', 'status_updated_at', 'unit_search']" ]
post "{\"payload\":\"$(payload "${ids[1]}")\"}" >/dev/null
truth "a verdict carries the contact beside the operator" [ "$(field "d['contact']['en']")" = "$(python3 -c "import json; print(json.load(open('$data/profiles/GS.json'))['contact']['en'])")" ]
post "{\"payload\":\"$(cat certs/${ids[0]}.link)\",\"unit\":\"12620000438000456W\"}" >/dev/null
truth "a superseded certificate carries its successor's own verdict: valid (province-wide)" \
  [ "$(field "d['superseded']['successor_verdict']['verdict']")" = valid -a "$(field "d['superseded']['successor_verdict']['track']")" = province ]
curl -s --max-time 5 -D headers.txt -o page.html "$U/v"
has "GET /v serves the page" page.html "职称电子证书核验"
has "with a strict Content-Security-Policy" headers.txt "Content-Security-Policy: default-src 'none'; script-src 'self'"
truth "the page loads nothing from another host" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' page.html"
truth "/V (the upper-case QR path) serves it too" [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$U/V")" = 200 ]
truth "GET /healthz" [ "$(curl -s --max-time 5 -o out.json -w '%{http_code}' "$U/healthz")" = 200 -a "$(field "d['bundle_version']")" = 1 ]
curl -s --max-time 5 -o metrics.txt "$U/metrics"
has "/metrics counts requests by verdict" metrics.txt 'titlecert_requests_total{verdict="not_valid_here"} 1'
has "/metrics has the latency histogram" metrics.txt 'titlecert_request_duration_seconds_bucket{le="+Inf"}'
has "/metrics has the bundle version" metrics.txt 'titlecert_bundle_version 1'

# inputs are checked the same on every path: normalised (trim, upper case), else 400 with a code
get() { curl -s --max-time 5 -o out.json -w '%{http_code}' "$@"; }
img() { curl -s --max-time 5 -o out.json -w '%{http_code}' -X POST --data-binary @certs/${ids[1]}.png "$U/api/v1/verify-image$1"; }
truth "a lower-case unit code with spaces is normalised on /api/v1/verify" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\",\"unit\":\" 12620102438000123h \"}")" = 200 -a "$(field "d['unit']['uscc']")" = 12620102438000123H ]
truth "and on /api/v1/verify-image: the unit is checked, not ignored" \
  [ "$(img "?unit=12620000438000456w")" = 200 -a "$(field "d['verdict']")" = not_valid_here ]
truth "a bad unit on /api/v1/verify-image is 400 bad_unit" [ "$(img "?unit=abc")" = 400 -a "$(field "d['error']")" = bad_unit ]
truth "a bad date on /api/v1/verify-image is 400 bad_date" [ "$(img "?at=2026-02-30")" = 400 -a "$(field "d['error']")" = bad_date ]
truth "unit_code_invalid: a wrong GB 32100 check character on /api/v1/verify is 400, never not_valid_here" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\",\"unit\":\"12620000438000456X\"}")" = 400 -a "$(field "d['error']")" = unit_code_invalid ]
truth "unit_code_invalid on /api/v1/verify-image" [ "$(img "?unit=12620000438000456X")" = 400 -a "$(field "d['error']")" = unit_code_invalid ]
truth "unit_code_invalid on /api/v1/units/{uscc}" [ "$(get "$U/api/v1/units/12620000438000456X")" = 400 -a "$(field "d['error']")" = unit_code_invalid ]
truth "a lower-case code finds the unit on /api/v1/units/{uscc}" [ "$(get "$U/api/v1/units/12622901438000777q")" = 200 ]
# paths that try to write into the access log: a forged line, a name and an ID number
get "$U/api/v1/units/%0a2026-12-01T00:00:00Z%20/api/v1/verify%20200%20valid%20260000003%200.10ms" >/dev/null
get "$U/%E9%A9%AC%E6%98%8E/622921199001010024" >/dev/null

# hot reload under load: two clients verify continuously while the bundle changes three times
load() { # load OUTFILE
  local end=$((SECONDS + 6))
  while [ $SECONDS -lt $end ]; do
    curl -s --max-time 5 -o /dev/null -w '%{http_code}\n' -X POST "$U/api/v1/verify" \
      -d "{\"payload\":\"$(payload "${ids[1]}")\"}" >> "$1"
  done
}
load load1.txt & l1=$!
load load2.txt & l2=$!
"$issuer" revoke "${D[@]}" --reason fraud "${ids[1]}" >/dev/null
"$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out v2.bundle >/dev/null
sleep 1
cp v2.bundle live.tmp && mv live.tmp live.bundle   # the file changes: picked up within a second
for _ in $(seq 1 40); do curl -s --max-time 2 "$U/healthz" | grep -q '"bundle_version":2' && break; sleep 0.1; done
truth "a replaced bundle file is loaded (version 2)" sh -c "curl -s --max-time 2 $U/healthz | grep -q '\"bundle_version\":2'"
post "{\"payload\":\"$(payload "${ids[1]}")\"}" >/dev/null
truth "after reload the revoked certificate is revoked (A2)" [ "$(field "d['verdict']")" = revoked ]
cp v1.bundle live.tmp && mv live.tmp live.bundle    # older: refused
sleep 1.5
truth "an older bundle is refused and version 2 kept" sh -c "curl -s --max-time 2 $U/healthz | grep -q '\"bundle_version\":2'"
"$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out v3.bundle >/dev/null
cp v3.bundle bad.bundle
# one bit of byte 100 flipped (writing a 0 there changed nothing when the byte was already 0)
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[100] ^= 1; open(sys.argv[1], "wb").write(b)' bad.bundle
truth "the damaged bundle differs from the one exported" bash -c '! cmp -s v3.bundle bad.bundle'

cp bad.bundle live.tmp && mv live.tmp live.bundle   # bad signature: refused
sleep 1.5
truth "a bundle that does not verify is refused and version 2 kept" sh -c "curl -s --max-time 2 $U/healthz | grep -q '\"bundle_version\":2'"
cp v3.bundle live.bundle.new && mv live.bundle.new live.bundle
kill -HUP "$server"
for _ in $(seq 1 40); do curl -s --max-time 2 "$U/healthz" | grep -q '"bundle_version":3' && break; sleep 0.1; done
truth "SIGHUP loads version 3" sh -c "curl -s --max-time 2 $U/healthz | grep -q '\"bundle_version\":3'"
wait $l1 $l2
total=$(cat load1.txt load2.txt | wc -l)
bad=$(cat load1.txt load2.txt | grep -vc '^200$')
truth "no request failed during the reloads ($total requests, $bad not 200)" [ "$total" -gt 20 -a "$bad" = 0 ]
has "the refusals were logged" server.err "bundle refused"
truth "the access log names no person" sh -c "! grep -q '王芳\|马明\|1534' access.log"
kill -TERM "$server"
for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
truth "SIGTERM stops the server" sh -c "! kill -0 $server 2>/dev/null"
# every access-log line is the server's own words: time, route, status, verdict, id, duration
bad_lines=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z (/[a-z0-9/.{}()-]*|\(unknown\)|/ \(page\)) [0-9]{3} [a-z_-]+ [0-9]+ [0-9.]+ms$' access.log)
truth "access log: every line has the server's format, none forged by a path ($(wc -l < access.log) lines, $bad_lines others)" \
  [ "$bad_lines" = 0 -a "$(wc -l < access.log)" -gt 20 ]
grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' access.log | head -3 | sed 's/^/# /'
truth "access log: no ID number or name from a path" sh -c "! grep -q '622921199001010024\|马明\|2026-12-01T00:00:00Z /api/v1/verify' access.log"
server=""

# Retry-After: a 429 (requests in progress from one address) says how long to wait
head -c 6000 /dev/zero > slow.bin
STATE=state-ra start_server --per-address-limit 1 --trusted-proxy 127.0.0.1
curl -s --max-time 10 -o /dev/null --limit-rate 2000 -H 'X-Real-IP: 192.0.2.7' -X POST \
  --data-binary @slow.bin "$U/api/v1/verify" & slow=$!
sleep 0.5
truth "429 too_many_requests carries Retry-After: 2" \
  [ "$(curl -s --max-time 5 -D ra.txt -o out.json -w '%{http_code}' -H 'X-Real-IP: 192.0.2.7' "$U/healthz")" = 429 \
    -a "$(tr -d '\r' < ra.txt | awk -F': ' 'tolower($1) == "retry-after" {print $2}')" = 2 ]
kill $slow 2>/dev/null; wait $slow 2>/dev/null
kill "$server"; wait "$server" 2>/dev/null; server=""
# and so does a 503 busy (the image queue full), as answered to a burst of uploads
python3 -c "
import struct, zlib
w = h = 3000  # a grey 9-megapixel PNG: a few hundred ms to decode, no QR code in it
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
raw = zlib.compress((b'\\0' + b'\\x80' * w) * h, 9)
open('grey.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
                              + chunk(b'IDAT', raw) + chunk(b'IEND', b''))"
STATE=state-busy start_server --image-threads 1 --image-queue 1
uploads=()
for i in $(seq 1 8); do
  curl -s --max-time 20 -D busy-$i.txt -o /dev/null -X POST --data-binary @grey.png \
    "$U/api/v1/verify-image" & uploads+=($!)
done
wait "${uploads[@]}"
busy=$(grep -l '^HTTP/1.1 503' busy-*.txt | head -1)
if [ -n "$busy" ]; then
  has "503 busy carries Retry-After: 2" "$busy" "^Retry-After: 2"
else
  truth "503 busy carries Retry-After (no upload of 8 was refused busy here: skipped) # SKIP" true
fi
kill "$server"; wait "$server" 2>/dev/null; server=""

# Rollback: what was accepted survives a restart (the state directory)
# a port nothing listens on (the refusal must be for the rollback, not a busy address)
rport=$((port + 1))
while (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null; do rport=$((20000 + RANDOM % 20000)); done
check "rollback: a restarted verifier refuses bundle v1 after it accepted v3" 2 \
  "$verifier" serve --bundle v1.bundle --root root.pub --listen 127.0.0.1:$rport --state state
has "naming the rollback and the versions" err.txt "older than one this verifier has accepted.*bundle 1.*accepted before: bundle 3"
truth "the state file is 0600" [ "$(stat -c %a state/*.state)" = 600 ]
# a status key revoked by trust list v2 signs a newer bundle that embeds trust list v1
"$keys" issuer-create --out st2 --name 甘肃省人社厅职称证书发布 --kdf interactive "${P[@]}" >/dev/null
today=$(TZ=Asia/Shanghai date +%F)
"$keys" endorse --root root.key --issuer st2.pub --from "$today" --to "$(date -d "$today +1 year" +%F)" \
  --region 62 --tracks status,register --out st2.end "${P[@]}" >/dev/null
"$keys" revoke --root root.key --kid "$("$keys" show ws.pub | awk 'NR==1{print $4}')" --date "$today" \
  --reason 密钥泄露 --out ws.rev "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 2 --out trust2.list ws.end st2.end ws.rev "${P[@]}" >/dev/null
"$issuer" bundle export "${D[@]}" --key st2.key --root root.pub --trust-list trust2.list --out tl2.bundle >/dev/null
"$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out tl1-newer.bundle >/dev/null
cp tl2.bundle live2.bundle
BUNDLE=live2.bundle STATE=state2 start_server
truth "a verifier on the bundle with trust list v2 starts" [ -n "$server" ]
cp tl1-newer.bundle live2.tmp && mv live2.tmp live2.bundle
sleep 1.5
truth "a newer bundle embedding the older trust list v1 is refused on reload" \
  sh -c "curl -s --max-time 2 $U/healthz | grep -q '\"bundle_version\":4'"
has "and the refusal says why" server.err "embeds a trust list older than one this verifier has accepted"
curl -s --max-time 2 -o metrics.txt "$U/metrics"
has "/metrics counts the refused rollback" metrics.txt "titlecert_bundle_rollbacks_refused_total 1"
kill "$server"; wait "$server" 2>/dev/null; server=""
check "--min-trust-list 2: a fresh replica refuses a bundle embedding trust list v1" 2 \
  "$verifier" serve --bundle tl1-newer.bundle --root root.pub --listen 127.0.0.1:$rport \
  --state state3 --min-trust-list 2
has "naming the floor" err.txt "older than --min-trust-list"
check "--min-trust-list -1 is a usage error (not the highest version, which would refuse every list)" 2 \
  "$verifier" serve --bundle tl1-newer.bundle --root root.pub --listen 127.0.0.1:$rport \
  --state state4 --min-trust-list -1
has "saying what it takes" err.txt "takes a trust-list version"

# Stale status fails closed
"$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out fresh.bundle >/dev/null
BUNDLE=fresh.bundle STATE=state4 start_server --max-age 1
sleep 2.2
truth "status_stale: past the maximum age POST /api/v1/verify answers 503" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\"}")" = 503 -a "$(field "d['error']")" = status_stale ]
truth "and says when the status was last updated" [ -n "$(field "d['status_updated_at']")" ]
truth "status_stale: /api/v1/verify-image answers 503 too" [ "$(img "")" = 503 ]
truth "status_stale: /healthz answers 503" [ "$(get "$U/healthz")" = 503 -a "$(field "d['status']")" = stale ]
kill "$server"; wait "$server" 2>/dev/null; server=""
BUNDLE=fresh.bundle STATE=state4 start_server --max-age 1 --stale-ok
sleep 1.2
truth "--stale-ok: the verdict is given, with the status_stale note" \
  [ "$(post "{\"payload\":\"$(payload "${ids[1]}")\"}")" = 200 -a "$(field "[r['code'] for r in d['reasons']].count('status_stale')")" = 1 ]
kill "$server"; wait "$server" 2>/dev/null; server=""
check "status_stale: the CLI warns and exits 1 for a stale bundle" 1 "$verifier" verify --root root.pub \
  --bundle fresh.bundle --max-age 1 "$(payload "${ids[3]}")"
has "with a warning naming the bundle's age" err.txt "warning: the status bundle (version .*) is older than 1 seconds"
check "status_stale: --stale-ok gives the verdict (exit 0)" 0 "$verifier" verify --root root.pub \
  --bundle fresh.bundle --max-age 1 --stale-ok "$(payload "${ids[3]}")"
check "a fresh bundle verifies without warning under the profile's 7 days" 0 "$verifier" verify --root root.pub \
  --bundle fresh.bundle "$(payload "${ids[3]}")"

[ "$failed" = 0 ] || tail -n 60 server.err | sed 's/^/# server: /'
finish
