#!/usr/bin/env bash
# titlecert demo on embedded defaults. Builds (with a progress line), then in demo-out/ runs the
# whole life of a batch as a department runs it (ISSUANCE.md), on a DEMO store whose clock may be
# set back so that a 公示 can be shown passing:
#   DEMO keys (root, committee, publication, store hash key); a 甘肃 store set up for the workflow;
#   accounts (two admins, a clerk, an approver, a key custodian), roles confirmed by the second
#   admin; the committee's results prepared by the clerk and publicised (公示, period printed,
#   counted on the working-day calendar); an objection recorded and upheld; approval by the
#   approver, bound to the rows shown; titlecert-signer unlocked by the custodian, signing the
#   batch, a conversion (C1) and a revocation (A2) each proposed and approved first; publication
#   (bundle, register, checkpoint) by the signer; the e-certificates; the register checked by
#   anyone (a witness co-signs a publication first; a certificate signed outside it refused);
#   verification offline.
# Then it serves the verification page on TITLECERT_LISTEN (default 127.0.0.1:8080) and the HR
# console on TITLECERT_CONSOLE_LISTEN (default: the next port, 127.0.0.1:8081), the signer behind
# it, until Ctrl-C (TITLECERT_DEMO_NO_SERVE=1 stops before). The terminal gets a short account; every command's
# own output goes to demo-out/demo.log. TITLECERT_DEMO_QR=1 also draws a QR code on the terminal.
# The passphrase comes from TITLECERT_DEMO_PASSPHRASE (default below): demo keys only.
set -euo pipefail
cd "$(dirname "$0")/.."
listen=${TITLECERT_LISTEN:-127.0.0.1:8080}
host=${listen%:*} port=${listen##*:}
if [[ ! "$listen" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "demo: TITLECERT_LISTEN=$listen is not IPV4-ADDRESS:PORT (e.g. 127.0.0.1:8080)" >&2; exit 2
fi
clisten=${TITLECERT_CONSOLE_LISTEN:-$host:$((port + 1))}
wlisten=${TITLECERT_WITNESS_LISTEN:-$host:$((port + 2))}
for a in TITLECERT_CONSOLE_LISTEN=$clisten TITLECERT_WITNESS_LISTEN=$wlisten; do
  v=${a#*=} vp=${a##*:}
  if [[ ! "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:[0-9]+$ ]] || [ "$vp" -lt 1 ] || [ "$vp" -gt 65535 ]; then
    echo "demo: $a is not IPV4-ADDRESS:PORT (e.g. 127.0.0.1:8081)" >&2; exit 2
  fi
done
# a busy port is reported now, before the build (the witness's is used even without serving)
for a in "$listen" "$clisten" "$wlisten"; do
  if { [ "${TITLECERT_DEMO_NO_SERVE:-}" != 1 ] || [ "$a" = "$wlisten" ]; } &&
     (exec 3<>"/dev/tcp/${a%:*}/${a##*:}") 2>/dev/null; then
    echo "demo: $a is already in use; stop what listens there or choose other addresses," >&2
    echo "      e.g. TITLECERT_LISTEN=127.0.0.1:9080 (the console and the witness take the next two ports)" >&2
    exit 2
  fi
done
scripts/deps.sh build
[ -f build/build.ninja ] || { mkdir -p build && meson setup build >build/setup.log 2>&1; } ||
  { cat build/setup.log >&2; exit 2; }
# ninja's [done/total] lines as one progress line on a terminal, the full log in the build tree
if [ -t 1 ]; then
  ninja -C build 2>&1 | tee build/demo-ninja.log |
    awk '/^\[[0-9]+\/[0-9]+\]/ { split(substr($1, 2), a, "/"); printf "\rdemo: building %3d%% (%s of %s steps)", 100 * a[1] / a[2], a[1], a[2]; fflush() } END { printf "\r%60s\r", "" }'
  [ "${PIPESTATUS[0]}" = 0 ] || { tail -40 build/demo-ninja.log >&2; exit 2; }
  echo "demo: built"
else
  echo "demo: building (ninja -C build)"
  ninja -C build >build/demo-ninja.log 2>&1 || { tail -40 build/demo-ninja.log >&2; exit 2; }
fi
# the build-tree programs read the page, the profiles and the calendar from the source tree
export TITLECERT_WEB_DIR=$PWD/web TITLECERT_PROFILES=$PWD/data/profiles TITLECERT_CALENDAR=$PWD/data/calendar

out=demo-out
base=${TITLECERT_BASE_URL:-http://$listen}
export TITLECERT_DEMO_PASSPHRASE=${TITLECERT_DEMO_PASSPHRASE:-demo-only-not-a-secret}
P=(--passphrase-env TITLECERT_DEMO_PASSPHRASE)
keys=build/keys/titlecert-keys issuer=build/issuer/cli/titlecert-issuer verifier=build/verifier/titlecert-verifier
register=build/register/cli/titlecert-register signer=build/signer/titlecert-signer
rm -rf "$out"
mkdir -p "$out/keys" "$out/accounts" "$out/certs"
log=$out/demo.log
: > "$log"
spid= cpid= wpid=
trap 'for p in $spid $cpid $wpid; do kill "$p" 2>/dev/null; done; true' EXIT
step() { printf '\n%s\n' "$*"; printf '\n== %s\n' "$*" >> "$log"; }
say() { printf '  %s\n' "$*"; }
run() { echo "\$ $*" >> "$log"; "$@" >> "$log" 2>&1 || { echo "demo: failed: $*" >&2; tail -20 "$log" >&2; exit 2; }; }
grab() { echo "\$ $*" >> "$log"; "$@" 2>>"$log" | tee -a "$log"; }

cat <<TXT
== titlecert demo ==
DEMO KEYS AND A DEMO STORE: the passphrase is public ($TITLECERT_DEMO_PASSPHRASE); its clock is
set back three weeks for the 公示. Output in $out/, every command's own words in $log.
TXT

step "1. keys: the province's root endorses the committee's and the publication's (rule A1)"
today=$(TZ=Asia/Shanghai date +%F)
# the demo's 公示 periods run from three weeks ago to today, counted in working days by the
# shipped calendar (data/calendar, one file per year); when that has no file yet for a year they
# would reach, the demo store takes a day of the last year shipped for today (TITLECERT_DEMO_TODAY)
# rather than be refused, and says so
last=$(ls data/calendar | sed -n 's/^\([0-9]\{4\}\)\.json$/\1/p' | sort | tail -1)
if [ -n "$last" ] && [ "$(date -d "$today +14 days" +%Y)" -gt "$last" ]; then
  export TITLECERT_DEMO_TODAY=$last-12-10
  say "工作日历只收录到 $last 年（尚无 $((last + 1)) 年的节假日安排）：演示库以 $TITLECERT_DEMO_TODAY 为今天"
  say "the working-day calendar ends with $last (no notice for $((last + 1)) shipped yet): the demo store takes $TITLECERT_DEMO_TODAY for today"
  today=$TITLECERT_DEMO_TODAY
fi
from=$(date -d "$today -60 days" +%F) until=$(date -d "$from +3 years -1 day" +%F)
run $keys root-create --out "$out/keys/root" --name 甘肃省人力资源和社会保障厅 --kdf interactive "${P[@]}"
run $keys issuer-create --out "$out/keys/gs-ws" --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}"
run $keys issuer-create --out "$out/keys/gs-status" --name 甘肃省人社厅职称证书发布 --kdf interactive "${P[@]}"
run $keys hash-key-create --out "$out/keys/store" --name 甘肃省职称证书库 --kdf interactive "${P[@]}"
run $keys endorse --root "$out/keys/root.key" --issuer "$out/keys/gs-ws.pub" --from "$from" --to "$until" \
  --region 62 --series WS-YL,WS-HL,WS-YX,WS-JS --levels 1-5 --out "$out/keys/gs-ws.endorsement" "${P[@]}"
run $keys endorse --root "$out/keys/root.key" --issuer "$out/keys/gs-status.pub" --from "$from" --to "$until" \
  --region 62 --tracks status,register --out "$out/keys/gs-status.endorsement" "${P[@]}"
run $keys trust-list --root "$out/keys/root.key" --version 1 --out "$out/keys/trust.list" \
  "$out/keys/gs-ws.endorsement" "$out/keys/gs-status.endorsement" "${P[@]}"
say "root, committee (甘肃省卫生系列高级职称评审委员会), publication and store keys: $out/keys/"

step "2. a 甘肃 store that issues only through the workflow, with its units and records"
D=(--db "$out/gs.db" --hash-key "$out/keys/store.key" "${P[@]}")
T=(--root "$out/keys/root.pub" --trust-list "$out/keys/trust.list")
run $issuer init --db "$out/gs.db" --profile GS --hash-key "$out/keys/store.key" "${P[@]}" --demo
run $issuer units import "${D[@]}" data/samples/gs-units.csv
for kind in employment assessments ce; do run $issuer records import "${D[@]}" $kind data/samples/gs-$kind.csv; done
say "$out/gs.db: 甘肃 (GS), working-day calendar $(sed -n 's/^working-day calendar: //p' "$log")"
echo "  one person alone cannot issue there:"
if $issuer import "${D[@]}" --key "$out/keys/gs-ws.key" "${T[@]}" data/samples/gs-results.csv >>"$log" 2>"$out/refused.txt"; then
  echo "demo: import was not refused in a workflow store" >&2; exit 2
fi
say "$(grep -m1 '拒绝' "$out/refused.txt")"

step "3. accounts: two admins; a clerk, an approver and a key custodian, confirmed by the second admin"
pw() { printf 'demo-password-of-%s\n' "$1" > "$out/accounts/$1.pw"; chmod 600 "$out/accounts/$1.pw"; }
as() { echo --as "$1" --password-file "$out/accounts/$1.pw"; }
for a in admin1 admin2 wang li zhang; do pw $a; done
run $issuer account add admin1 --name 系统管理员甲 --roles admin --password-file "$out/accounts/admin1.pw" "${D[@]}"
run $issuer account add admin2 --name 系统管理员乙 --roles admin --password-file "$out/accounts/admin2.pw" "${D[@]}"
c=0
for a in wang:王录入:clerk li:李审核:approver zhang:张保管:custodian; do
  IFS=: read -r name person role <<< "$a"
  grab $issuer account add "$name" --name "$person" --roles "$role" $(as admin1) "${D[@]}" |
    sed -n 's/^enrolment code.*: //p' > "$out/accounts/$name.code"
  chmod 600 "$out/accounts/$name.code"
  c=$((c + 1))
  # admin2, confirming the roles, is shown the code's second half: the person enters both
  half=$(grab $issuer account confirm $c $(as admin2) "${D[@]}" | sed -n 's/^enrolment code.*: //p')
  printf '%s %s\n' "$(cat "$out/accounts/$name.code")" "$half" > "$out/accounts/$name.code"
  run $issuer account enrol "$name" --code-file "$out/accounts/$name.code" --password-file "$out/accounts/$name.pw" "${D[@]}"
done
for a in admin1 admin2 wang li zhang; do # each person's TOTP seed, for the console's sign-in
  grab $issuer account totp "$a" --password-file "$out/accounts/$a.pw" "${D[@]}" |
    sed -n 's/^TOTP seed of [^:]*: //p' > "$out/accounts/$a.totp"
  chmod 600 "$out/accounts/$a.totp"
done
say "wang 王录入 (clerk), li 李审核 (approver), zhang 张保管 (custodian); passwords and TOTP seeds in $out/accounts/"

# titlecert-signer runs from here on: it dates each 公示 from the day it first sees it in the
# register, by the demo store's clock (the file $out/clock, days from today; --demo) and never
# by a date the store alone holds
sock=$PWD/$out/signer.sock
S=(--socket "$sock")
printf '%s\n' "$TITLECERT_DEMO_PASSPHRASE" > "$out/keys/passphrase" && chmod 600 "$out/keys/passphrase"
export TITLECERT_DEMO_CLOCK=@$PWD/$out/clock
echo 0 > "$out/clock"
W=() # the witnesses the signer asks to co-sign each checkpoint (from step 7 on)
start_signer() {
  $signer serve "${S[@]}" --db "$out/gs.db" --hash-key "$out/keys/store.key" --key "$out/keys/gs-ws.key" \
    --publication-key "$out/keys/gs-status.key" "${T[@]}" --publish-dir "$out/pub" --log "$out/signer.log" \
    --state "$out/signer.state" --demo "${W[@]}" 2>>"$log" &
  spid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
}
stop_signer() { run $issuer signer lock "${S[@]}"; kill "$spid" && wait "$spid" 2>/dev/null || true; spid=; }
start_signer

step "4. the committee's results: prepared, publicised (公示), an objection upheld, approved"
PREP=(--issuer-pub "$out/keys/gs-ws.pub" "${T[@]}")
echo -21 > "$out/clock" # three weeks ago: the results arrive and are publicised
run $issuer batch prepare data/samples/gs-results.csv --title 2026年甘肃省卫生系列高级职称评审结果 "${PREP[@]}" $(as wang) "${D[@]}"
say "wang prepared batch 1: 4 persons, every rule checked"
grab $issuer batch publicise 1 --out "$out/pub" "${S[@]}" $(as wang) "${D[@]}" | head -1 | sed 's/^/  /'
received=$(date -d "$today -21 days" +%F)
run $issuer batch objection 1 --line 5 --objector 张三 --contact 0931-0000000（示例） --received "$received" \
  --text "李四的业绩材料与事实不符（示例）" $(as wang) "${D[@]}"
say "an objection against line 5 (李四) received $received, recorded by wang"
echo -13 > "$out/clock" # the 公示 is over
run $issuer batch resolve 1 --upheld --outcome "经核查材料不实，取消其通过资格（示例）" $(as li) "${D[@]}"
say "li upheld it: 李四 leaves the batch, whose rows hash changes"
hash=$($issuer batch status 1 "${D[@]}" 2>>"$log" | sed -n 's/^  rows hash: //p')
run $issuer batch approve 1 --decision 甘人社职〔2026〕88号 --rows-hash "$hash" $(as li) "${D[@]}"
say "li approved the 3 persons shown (rows hash ${hash:0:16}…), decision 甘人社职〔2026〕88号"

step "5. titlecert-signer: unlocked by the custodian, it signs what was approved and publishes"
if $issuer batch sign 1 "${S[@]}" $(as zhang) >>"$log" 2>&1; then echo "demo: a locked signer signed" >&2; exit 2; fi
say "locked, it refuses; zhang unlocks it for 30 minutes with the store's passphrase and her password"
run $issuer signer unlock "${S[@]}" $(as zhang) --passphrase-file "$out/keys/passphrase" --minutes 30
run $issuer batch sign 1 "${S[@]}" $(as zhang)
ib=$($issuer batch status 1 "${D[@]}" 2>>"$log" | sed -n 's/.*issue batch \([0-9]*\).*/\1/p')
run $issuer render "${D[@]}" --out-dir "$out/certs" --base-url "$base" --batch "$ib"
ids=($(ls "$out/certs" | sed -n 's/\.txt$//p' | sort))
say "batch 1 signed: ${#ids[@]} certificates, ${ids[*]}"
first=${ids[0]} second=${ids[1]} third=${ids[2]}
run $issuer revocation propose "$third" --reason fraud --blacklist --blacklist-reason 论文造假（示例） \
  --title 撤销 $(as wang) "${D[@]}"
h=$($issuer revocation status 2 "${D[@]}" 2>>"$log" | sed -n 's/^  rows hash: //p')
run $issuer revocation approve 2 --decision 甘人社职〔2026〕90号 --rows-hash "$h" $(as li) "${D[@]}"
run $issuer revocation sign 2 "${S[@]}" $(as zhang)
say "$third revoked for fraud (A2): proposed by wang, approved by li, signed by the signer"
run $issuer conversion propose "$first" --committee 100 --title 基层职称换发 $(as wang) "${D[@]}"
grab $issuer conversion publicise 3 --out "$out/pub" "${S[@]}" $(as wang) "${D[@]}" | head -1 |
  sed 's/^公示 of batch 3/  公示 of the conversion of '"$first"'/'
echo 0 > "$out/clock" # today: the conversion's 公示 is over
h=$($issuer conversion status 3 "${D[@]}" 2>>"$log" | sed -n 's/^  rows hash: //p')
run $issuer conversion approve 3 --decision 甘职改〔2026〕8号 --rows-hash "$h" $(as li) "${D[@]}"
run $issuer conversion sign 3 "${S[@]}" $(as zhang)
converted=$($issuer show --db "$out/gs.db" "$first" 2>>"$log" | sed -n 's/.*新证书 \([0-9]*\).*/\1/p' | head -1)
say "$first converted to the province-wide $converted (C1): proposed, publicised, approved, signed"
run $issuer signer publish "${S[@]}" $(as zhang)
stop_signer
cp "$out/pub/bundle.cbor" "$out/gs.bundle"
say "published: $out/pub/ (公示 gongshi-1.html and -3.html, register tiles and checkpoint, bundle.cbor, head); the signer locked"
run $issuer audit verify "${D[@]}"
say "the audit chain is intact; the signer's $(grep -c 'account=' "$out/signer.log") requests are on its log ($out/signer.log), those made while unlocked in the chain too"

step "6. e-certificates (rule A4), with their status across the converted and the revoked one"
ws_kid=$($keys show "$out/keys/gs-ws.pub" | sed -n 's/^public issuer key //p')
run $issuer seal "${D[@]}" --kid "$ws_kid" --organiser 甘肃省卫生健康委员会（示例） --image data/samples/demo-seal.svg
run $issuer render --db "$out/gs.db" --pdf "${T[@]}" --out-dir "$out/certs" --base-url "$base" --batch "$ib" --status-stamp
run $issuer render --db "$out/gs.db" --pdf "${T[@]}" --out-dir "$out/certs" --base-url "$base" "$converted"
say "$out/certs/<id>.pdf (the seal is the demo's illustration, marked 示例)"

step "7. the public register, co-signed by a witness and checked by anyone from the published files (A3)"
# a witness: another department's promise that it co-signs only checkpoints that extend the
# last one it co-signed (C2SP tlog-witness), so that no one can show two histories
witness=build/witness/titlecert-witness
run $keys issuer-create --out "$out/keys/witness" --name witness.demo/gs-audit --kdf interactive "${P[@]}"
origin=$(head -1 "$out/pub/checkpoint")
echo "log $origin $($register vkey --root "$out/keys/root.pub" --dir "$out/pub" 2>>"$log" | head -1)" > "$out/witness.conf"
mkdir -p "$out/witness-state"
$witness serve --listen "$wlisten" --config "$out/witness.conf" --state "$out/witness-state" \
  --key "$out/keys/witness.key" "${P[@]}" 2>>"$log" &
wpid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://$wlisten/healthz" 2>/dev/null && break; sleep 0.1; done
echo "witness witness.demo/gs-audit $($witness vkey --pub "$out/keys/witness.pub" 2>>"$log") http://$wlisten/" \
  > "$out/witnesses.conf"
W=(--witnesses "$out/witnesses.conf" --witness-quorum 1)
[ -z "$spid" ] || stop_signer
start_signer # the signer asks the witness from now on
run $issuer signer unlock "${S[@]}" $(as zhang) --passphrase-file "$out/keys/passphrase" --minutes 30
run $issuer signer publish "${S[@]}" $(as zhang)
run $issuer signer lock "${S[@]}"
cp "$out/pub/bundle.cbor" "$out/gs.bundle"
say "a witness on http://$wlisten co-signed the checkpoint ($(grep -c '^— ' "$out/pub/checkpoint") signatures):"
sed 's/^/    /' "$out/pub/checkpoint" | cut -c1-96
R=(--root "$out/keys/root.pub" --dir "$out/pub")
run $register verify "${R[@]}" --witnesses "$out/witnesses.conf" --witness-quorum 1
run $register audit "${R[@]}"
say "the bundle's every status is the register's, and the checkpoint is signed and co-signed"
run $issuer sign --key "$out/keys/gs-ws.key" --claims data/samples/gs-basic.json --out-dir "$out/outside" \
  --base-url "$base" "${P[@]}"
$verifier verify --root "$out/keys/root.pub" --bundle "$out/gs.bundle" "$(cat "$out/outside/260001234.txt")" \
  > "$out/outside.json" 2>>"$log" && { echo "demo: an unregistered certificate verified" >&2; exit 2; }
say "a certificate signed with the committee's key outside the store: $(sed -n 's/.*"verdict": *"\([a-z_]*\)".*/\1/p' "$out/outside.json" | head -1) ($(sed -n 's/.*"code": *"\([a-z_]*\)".*/\1/p' "$out/outside.json" | head -1))"

step "8. verification offline, at 甘肃省人民医院 (not a basic-level unit)"
verdict() { $verifier verify --root "$out/keys/root.pub" --bundle "$out/gs.bundle" "$@" 2>>"$log" |
  sed -n 's/.*"verdict": *"\([a-z_]*\)".*/\1/p' | head -1; }
for id in "$first" "$second" "$third" "$converted"; do
  say "$id: $(verdict "$(cat "$out/certs/$id.txt")") (no unit given); at 甘肃省人民医院: $(verdict --unit 12620000438000456W "$(cat "$out/certs/$id.txt")")"
done
if [ "${TITLECERT_DEMO_QR:-}" = 1 ]; then
  $issuer show --db "$out/gs.db" --qr --base-url "$base" "$second"
else
  say "(TITLECERT_DEMO_QR=1 draws the QR code of $second on the terminal)"
fi

step "Made"
say "store                 $out/gs.db (a DEMO store)"
say "publication           $out/pub/ (the 公示: $out/pub/gongshi-1.html)"
say "QR codes, e-certs     $out/certs/<id>.png, <id>.pdf"
say "signer's log          $out/signer.log     everything else: $log"
say "try at the page       $second (basic-level: valid at 12620102438000123H, not at 12620000438000456W)"
say "                      $third (revoked), $first (superseded by $converted)"
[ "${TITLECERT_DEMO_NO_SERVE:-}" = 1 ] && exit 0
# the HR console beside the page, the signer (locked) behind it: sign in as wang, li or zhang
# with the password in demo-out/accounts/NAME.pw; the first sign-in shows the TOTP seed to add
# to an authenticator app
start_signer
build/console/titlecert-console serve --db "$out/gs.db" --hash-key "$out/keys/store.key" \
  --passphrase-file "$out/keys/passphrase" "${T[@]}" --issuer-pub "$out/keys/gs-ws.pub" \
  --publish-dir "$out/pub" --signer-socket "$sock" --web "$PWD/console/web" --listen "$clisten" \
  --base-url "$base" 2>>"$log" &
cpid=$!
say "verification page     $base/"
say "HR console            http://$clisten/   DEMO-ONLY accounts (password, TOTP seed):"
for a in wang li zhang admin1 admin2; do
  say "                      $(printf '%-7s %-24s %s' "$a" "$(cat "$out/accounts/$a.pw")" "$(cat "$out/accounts/$a.totp")")"
done
say "                      a code for a seed: python3 tests/totp.py SEED (or an authenticator app)"
say "witness               http://$wlisten/ (co-signs each publication the console makes)"
say "Ctrl-C stops them all (this script's PID: $$)"
echo
$verifier serve --bundle "$out/gs.bundle" --root "$out/keys/root.pub" --listen "$listen" \
  --state "$out/state" --register "$out/pub" &
vpid=$!
trap 'for p in $spid $cpid $vpid $wpid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; exit 0' INT TERM
wait "$vpid"
