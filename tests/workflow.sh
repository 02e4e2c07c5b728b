#!/usr/bin/env bash
# workflow.sh - issuance as departments run it, through the command line and titlecert-signer
# (ISSUANCE.md, rules A1-A4): a demo store set up for the workflow; accounts and their roles; a
# batch prepared, publicised (公示) on the working-day calendar, objected to, the objection upheld,
# approved by a second person bound to the rows, signed by the signer over its socket and
# published; the certificates verify with the ordinary verifier. Then what must not happen:
# one person issuing, revoking or publishing alone; the signer signing when locked, after its
# window, for a non-custodian, for a peer of another uid, for a forged request, for unapproved or
# tampered batches; a 公示 dated back before the signer saw it, an audit log cut short, a register
# entry nobody vouches for; a SIGKILL during signing leaving a half-signed batch. Prints TAP.
# usage: workflow.sh KEYS ISSUER VERIFIER SIGNER REGISTER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") signer=$(realpath "$4")
register=$(realpath "$5") data=$(realpath "$6")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill -9 "$spid" 2>/dev/null; [ -n "${TC_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
export PW='workflow test passphrase'
P=(--passphrase-env PW)
. "$here/demo_today.sh" # today, from and to
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
# the issuing and publication keys have their own passphrase, the custodians' (the store's is
# known to everyone who runs the workflow's commands)
export KPW='the custodians passphrase for the key files'
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive --passphrase-env KPW >/dev/null
"$keys" issuer-create --out pub --name 甘肃省职称证书发布 --kdf interactive --passphrase-env KPW >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$from" --to "$to" --region 62 \
  --tracks basic,province --out ws.end "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
  --tracks status,register --out pub.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end pub.end "${P[@]}" >/dev/null
printf '%s\n' "$PW" > keys.pass && chmod 600 keys.pass
printf '%s\n' "$KPW" > keyfiles.pass && chmod 600 keyfiles.pass
D=(--db gs.db --hash-key store.key "${P[@]}")
T=(--root root.pub --trust-list trust.list)
sock=$work/signer.sock
S=(--socket "$sock")
# the demo clock: a file the commands and the signer (--demo) read each time, in days from today
export TITLECERT_DEMO_CLOCK=@$work/clock
echo 0 > clock

check "account list without --db is a usage error" 2 "$issuer" account list
has "naming the command whose --help tells the store's options" err.txt "titlecert-issuer account: --db is required"
has "and pointing at that help" err.txt "Try 'titlecert-issuer account --help'"
check "init --demo: a workflow store for demonstrations" 0 "$issuer" init --db gs.db \
  --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" --demo
has "init names the working-day years it holds" out.txt "working-day calendar: 2025 2026"
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null 2>&1
for k in employment assessments ce; do
  "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null 2>err.txt
done
has "every command on a demo store says it is one" err.txt "演示库 DEMO STORE"

# ---- accounts ------------------------------------------------------------------------------
pw() { printf 'password-of-%s-1\n' "$1" > "$1.pw"; chmod 600 "$1.pw"; }
for a in admin1 admin2 admin3 alice bob carol erin frank; do pw $a; done
as() { echo --as "$1" --password-file "$1.pw"; }
check "the host's bootstrap makes the first admin" 0 "$issuer" account add admin1 --name 管理员甲 \
  --roles admin --password-file admin1.pw "${D[@]}"
check "and the second" 0 "$issuer" account add admin2 --name 管理员乙 --roles admin \
  --password-file admin2.pw "${D[@]}"
check "not a third: after two admins, an admin adds accounts" 1 "$issuer" account add admin3 \
  --name 管理员丙 --roles admin --password-file admin3.pw "${D[@]}"
check "nobody is clerk and approver" 1 "$issuer" account add x1 --name 某 --roles clerk,approver \
  $(as admin1) "${D[@]}"
check "an admin holds no other role" 1 "$issuer" account add x2 --name 某 --roles admin,clerk \
  $(as admin1) "${D[@]}"
codes=()
add() { # add NAME ROLES: added by admin1, which is shown the first half of the code
  "$issuer" account add "$1" --name "人员$1" --roles "$2" $(as admin1) "${D[@]}" >add.txt 2>/dev/null
  sed -n 's/^enrolment code.*: //p' add.txt > "$1.code"; chmod 600 "$1.code"
}
add alice clerk
has "admin1 is shown only the first half of alice's code" add.txt "^enrolment code, first half"
truth "of 10 characters" bash -c "[[ \"\$(cat alice.code)\" =~ ^[A-Z2-9]{10}\$ ]]"
add bob approver; add carol custodian; add erin approver,custodian; add frank clerk
printf '%sAAAAAAAAAA\n' "$(cat alice.code)" > guess.code; chmod 600 guess.code
check "the first half with a guessed second does not enrol alice (S: no admin alone enrols)" 1 \
  "$issuer" account enrol alice --code-file guess.code --password-file alice.pw "${D[@]}"
check "nor may admin1 give the second half itself" 1 "$issuer" account half alice $(as admin1) \
  "${D[@]}"
has "saying two admins give the halves" err.txt "two admins give the two halves"
check "account list shows the roles waiting for a second admin" 0 "$issuer" account list "${D[@]}"
has "five changes wait" out.txt "change 5: frank -> clerk"
check "the admin who proposed a change cannot confirm it" 1 "$issuer" account confirm 1 \
  $(as admin1) "${D[@]}"
check "a second admin confirms alice's roles" 0 "$issuer" account confirm 1 $(as admin2) "${D[@]}"
has "and is shown the second half of her code" out.txt "^enrolment code of alice, second half"
half() { # half NAME: the second half just printed, after the first in NAME.code
  printf '%s %s\n' "$(cat "$1.code")" "$(sed -n 's/^enrolment code.*: //p' out.txt)" > "$1.code"
}
half alice
truth "alice's code is now both halves" bash -c "[[ \"\$(cat alice.code)\" =~ ^[A-Z2-9]{10}\ [A-Z2-9]{10}\$ ]]"
check "the second half is given once" 2 "$issuer" account half alice $(as admin2) "${D[@]}"
c=1
for a in bob carol erin frank; do
  c=$((c + 1)); "$issuer" account confirm $c $(as admin2) "${D[@]}" >out.txt 2>/dev/null; half $a
done
check "a second admin confirms them" 0 "$issuer" account list "${D[@]}"
has "alice is a clerk now" out.txt "^alice .* clerk .*not enrolled"
echo WRONGCODEWRONGCODE12 > bad.code && chmod 600 bad.code
check "a wrong enrolment code sets nothing" 1 "$issuer" account enrol alice --code-file bad.code \
  --password-file alice.pw "${D[@]}"
for a in alice bob carol erin frank; do
  "$issuer" account enrol $a --code-file $a.code --password-file $a.pw "${D[@]}" >/dev/null 2>&1
done
check "each person set their password with their code" 0 "$issuer" account list "${D[@]}"
truth "no account is left not enrolled" bash -c '! grep -q "not enrolled" out.txt'
check "an enrolment code works once" 1 "$issuer" account enrol alice --code-file alice.code \
  --password-file alice.pw "${D[@]}"

# ---- recovery on the host, and a person's TOTP seed -------------------------------------------------
check "a person sees their TOTP seed on the host, with their password" 0 "$issuer" account totp frank \
  --password-file frank.pw "${D[@]}"
seed=$(sed -n 's/^TOTP seed of frank.*: //p' out.txt)
truth "a base32 seed of 160 bits" bash -c "[[ '$seed' =~ ^[A-Z2-7]{32}\$ ]]"
check "asked again before it is confirmed, the same seed (the app it went into keeps working)" 0 \
  "$issuer" account totp frank --password-file frank.pw "${D[@]}"
has "the same one" out.txt "$seed"
check "not with another's password" 1 "$issuer" account totp frank --password-file alice.pw "${D[@]}"
check "an admin does not reset their own account" 1 "$issuer" account reset admin1 $(as admin1) \
  "${D[@]}"
check "nor the other of two admins: no third could give the second half, and admin2 would be locked out" \
  1 "$issuer" account reset admin2 $(as admin1) "${D[@]}"
has "saying to add an admin first" err.txt "add an admin first"
check "a clerk resets nobody" 1 "$issuer" account reset frank $(as alice) "${D[@]}"
check "another admin resets frank (lost phone)" 0 "$issuer" account reset frank $(as admin1) "${D[@]}"
sed -n 's/^new TOTP seed.*: //p; s/^enrolment code.*: //p' out.txt | tail -1 > frank.code
has "the first half of a new enrolment code is printed" out.txt "enrolment code, first half"
check "the first half alone does not enrol him" 1 "$issuer" account enrol frank \
  --code-file frank.code --password-file frank.pw "${D[@]}"
check "the admin who reset him cannot give the second half" 1 "$issuer" account half frank \
  $(as admin1) "${D[@]}"
check "another admin gives it" 0 "$issuer" account half frank $(as admin2) "${D[@]}"
half frank
check "his old password no longer works" 1 "$issuer" account totp frank --password-file frank.pw \
  "${D[@]}"
check "he enrols again with the new code" 0 "$issuer" account enrol frank --code-file frank.code \
  --password-file frank.pw "${D[@]}"
check "and gets a new TOTP seed" 0 "$issuer" account totp frank --password-file frank.pw "${D[@]}"
truth "not the old one" bash -c "! grep -q '$seed' out.txt"
python3 -c 'import sqlite3; print(sqlite3.connect("gs.db").execute("SELECT detail FROM events WHERE kind = \"account_reset\"").fetchone()[0])' > ev.txt
has "the reset is an audit event naming both" ev.txt '"account":"frank","by":"admin1"'

# ---- the unit directory and the records, once there is an admin --------------------------------
check "units import without an account is refused once the store has an admin" 1 "$issuer" units \
  import "${D[@]}" "$data/samples/gs-units.csv"
has "saying who imports it" err.txt "an admin imports the unit directory"
check "a clerk may not change the unit directory" 1 "$issuer" units import "${D[@]}" $(as alice) \
  "$data/samples/gs-units.csv"
check "an admin imports it" 0 "$issuer" units import "${D[@]}" $(as admin1) "$data/samples/gs-units.csv"
check "records import without an account is refused" 1 "$issuer" records import "${D[@]}" ce \
  "$data/samples/gs-ce.csv"
has "saying who imports them" err.txt "a clerk imports the records"
check "a clerk imports them" 0 "$issuer" records import "${D[@]}" $(as alice) ce "$data/samples/gs-ce.csv"
python3 -c 'import sqlite3; print(sqlite3.connect("gs.db").execute("SELECT detail FROM events WHERE kind = \"units_import\" ORDER BY seq DESC LIMIT 1").fetchone()[0])' > ev.txt
has "the audit event names the admin" ev.txt '"account":"admin1"'

# ---- one person alone does nothing --------------------------------------------------------------
check "import is refused in a workflow store (exit 1)" 1 "$issuer" import "${D[@]}" --key ws.key \
  "${T[@]}" "$data/samples/gs-results.csv"
has "it says why and what to use, in Chinese first" err.txt "任何人不能独自执行"
has "and names batch prepare" err.txt "batch prepare"
check "revoke is refused" 1 "$issuer" revoke "${D[@]}" --reason fraud 260000001
check "publish is refused: only the signer publishes" 1 "$issuer" publish "${D[@]}" --key pub.key \
  "${T[@]}" --out pubdir
check "bundle export is refused" 1 "$issuer" bundle export "${D[@]}" --key pub.key "${T[@]}" \
  --out b.cbor
truth "no certificate and no publication exist" bash -c '[ ! -e pubdir ] && [ ! -e b.cbor ]'

# ---- the signer, running from the first 公示: it dates each from when it sees it ---------------------------------------------------------------------------------
start_signer() { # start_signer [serve options...]: waits for its socket
  rm -f "$sock"
  "$signer" serve "${S[@]}" --db gs.db --hash-key store.key --key ws.key --publication-key pub.key \
    "${T[@]}" --publish-dir pubdir --log signer.log --state signer.state --demo "$@" 2>>signer.log &
  spid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
  return 1
}
stop_signer() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=; }
unlock() { "$issuer" signer unlock "${S[@]}" $(as "$1") --passphrase-file "${2:-keys.pass}" \
  --key-passphrase-file keyfiles.pass --minutes 30; }

for u in -18446744073709551615 +1 " 1" 4294967295 18446744073709551617; do
  check "--allow-uid '$u' is a usage error, not a uid strtoul would negate or clamp" 2 \
    "$signer" serve "${S[@]}" --allow-uid "$u" --db gs.db --hash-key store.key --key ws.key \
    --publication-key pub.key "${T[@]}" --publish-dir pubdir --state x.state
  has "  saying what it takes" err.txt "allow-uid takes a uid"
done
check "the signer refuses a store not set up for the workflow" 2 "$signer" serve "${S[@]}" \
  --db /dev/null --hash-key store.key --key ws.key --publication-key pub.key "${T[@]}" \
  --publish-dir pubdir --state x.state
check "and starts without --state on none" 2 "$signer" serve "${S[@]}" --db gs.db \
  --hash-key store.key --key ws.key --publication-key pub.key "${T[@]}" --publish-dir pubdir
has "naming it" err.txt "state"
truth "the signer starts" start_signer

# ---- a batch's life ---------------------------------------------------------------------------
PREP=(--issuer-pub ws.pub "${T[@]}")
printf 'name,id_number\n王五,123\n' > bad.csv
check "a CSV with refusals stores nothing" 1 "$issuer" batch prepare bad.csv --title 坏 "${PREP[@]}" \
  $(as alice) "${D[@]}"
check "an approver cannot prepare" 1 "$issuer" batch prepare "$data/samples/gs-results.csv" \
  --title 第一批 "${PREP[@]}" $(as bob) "${D[@]}"
check "a wrong password is refused" 1 "$issuer" batch prepare "$data/samples/gs-results.csv" \
  --title 第一批 "${PREP[@]}" --as alice --password-file bob.pw "${D[@]}"
has "in one answer for account and password" err.txt "wrong account or password"
echo -14 > clock # the demo's 公示 began two weeks ago
check "a clerk prepares the results: batch 1, a draft" 0 "$issuer" batch prepare \
  "$data/samples/gs-results.csv" --title 2026年卫生系列高级职称评审结果 "${PREP[@]}" $(as alice) "${D[@]}"
has "it says what comes next" out.txt "batch 1 prepared: 4 rows"
check "approval before the 公示 is refused" 1 "$issuer" batch approve 1 --decision 甘人社〔2026〕1号 \
  --rows-hash "$(printf '0%.0s' {1..64})" $(as bob) "${D[@]}"
check "the clerk publicises it" 0 "$issuer" batch publicise 1 --out pubdir "${S[@]}" $(as alice) \
  "${D[@]}"
start=$(TZ=Asia/Shanghai date -d "$today -14 days" +%F)
has "the period is printed, from the demo clock's today" out.txt "公示 of batch 1: $start"
truth "the 公示 files are written" test -s pubdir/gongshi-1.html -a -s pubdir/gongshi-1.json
check "an objection received before the 公示 is refused" 1 "$issuer" batch objection 1 --line 5 \
  --objector 张三 --contact 13900000000 --received "$(date -d "$start -1 day" +%F)" \
  --text 材料有误 $(as alice) "${D[@]}"
check "an objection within the period is recorded" 0 "$issuer" batch objection 1 --line 5 \
  --objector 张三 --contact 13900000000 --received "$start" --text 李四的业绩材料与事实不符 \
  $(as alice) "${D[@]}"
echo 0 > clock
hash0=$("$issuer" batch status 1 "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
check "approval with an objection open is refused" 1 "$issuer" batch approve 1 \
  --decision 甘人社〔2026〕1号 --rows-hash "$hash0" $(as bob) "${D[@]}"
has "naming it" err.txt "objection"
check "a clerk cannot resolve an objection" 1 "$issuer" batch resolve 1 --upheld \
  --outcome 取消 $(as alice) "${D[@]}"
check "the approver upholds it in writing" 0 "$issuer" batch resolve 1 --upheld \
  --outcome 经核查材料不实，取消其通过资格 $(as bob) "${D[@]}"
check "approval bound to the rows seen before the objection is refused" 1 "$issuer" batch approve 1 \
  --decision 甘人社〔2026〕1号 --rows-hash "$hash0" $(as bob) "${D[@]}"
has "the rows changed" err.txt "rows changed since they were shown"
"$issuer" batch status 1 --rows --objections "${D[@]}" > status.txt 2>/dev/null
has "status shows the dropped row" status.txt "line 5 .*dropped: objection upheld"
has "and the objection's outcome" status.txt "经核查材料不实"
hash1=$(sed -n 's/^  rows hash: //p' status.txt)
truth "the rows hash changed when the row left" [ -n "$hash1" -a "$hash1" != "$hash0" ]
check "the approver approves what they were shown" 0 "$issuer" batch approve 1 \
  --decision 甘人社〔2026〕1号 --rows-hash "$hash1" $(as bob) "${D[@]}"

# ---- the signer's checks, on the batch the workflow approved -----------------------------------
truth "its socket is the owner's only (0600)" [ "$(stat -c %a "$sock")" = 600 ]
check "status: locked" 0 "$issuer" signer status "${S[@]}"
has "it says so" out.txt '"state":"locked"'
check "signing while locked is refused" 1 "$issuer" batch sign 1 "${S[@]}" $(as carol)
has "naming why" err.txt "the signer is locked"
echo 'not the passphrase' > wrong.pass && chmod 600 wrong.pass
check "unlock with a wrong key passphrase is refused" 1 unlock carol wrong.pass
check "unlock by a non-custodian is refused" 1 unlock bob
check "the store's passphrase alone does not open key files that have their own" 1 "$issuer" \
  signer unlock "${S[@]}" $(as carol) --passphrase-file keys.pass --minutes 30
has "naming the key file" err.txt "ws.key"
has "and that the key files' own passphrase is wanted" err.txt "give the key files' passphrase"
check "a wrong key files' passphrase is refused" 1 "$issuer" signer unlock "${S[@]}" $(as carol) \
  --passphrase-file keys.pass --key-passphrase-file wrong.pass --minutes 30
has "naming it as the key file's" err.txt "wrong passphrase for the key file"
check "the store's subcommands' help is asked for before a subcommand" 0 "$issuer" account --help
has "and shown" out.txt "account half NAME"
check "the custodian unlocks it" 0 unlock carol
has "for the window asked" out.txt '"seconds":1800'
check "an approver cannot have a batch signed" 1 "$issuer" batch sign 1 "${S[@]}" $(as bob)
has "only a custodian" err.txt "only a key custodian"
check "sign-revocation of an issuance batch is refused" 1 "$issuer" revocation sign 1 "${S[@]}" \
  $(as carol)
check "the custodian has the approved batch signed" 0 "$issuer" batch sign 1 "${S[@]}" $(as carol)
has "three certificates: the upheld objection's row is not among them" out.txt '"signed":3'
check "signing it again is refused" 1 "$issuer" batch sign 1 "${S[@]}" $(as carol)
check "the custodian publishes" 0 "$issuer" signer publish "${S[@]}" $(as carol)
has "bundle version 1" out.txt '"version":1'
"$issuer" batch status 1 "${D[@]}" > status.txt 2>/dev/null
has "the batch is published" status.txt "state: published"
ib=$(sed -n 's/.*issue batch \([0-9]*\).*/\1/p' status.txt)
check "render writes the certificates' files from the store" 0 "$issuer" render "${D[@]}" \
  --out-dir certs --base-url http://127.0.0.1:8080 --batch "$ib"
ok=0
for f in certs/*.txt; do
  "$verifier" verify --root root.pub --bundle pubdir/bundle.cbor "$(cat "$f")" >/dev/null 2>&1 && ok=$((ok + 1))
done
truth "the three certificates verify with the ordinary verifier and the published bundle" [ "$ok" = 3 ]
check "the register's auditor accepts the publication" 0 "$register" audit --root root.pub --dir pubdir
grep -q "sign-batch account=bob" signer.log
truth "the signer's log has every request, refused ones too" [ $? = 0 ]
truth "and no secret" bash -c "! grep -q -e 'password-of' -e '$PW' signer.log"
"$issuer" audit verify "${D[@]}" > audit.txt 2>&1
has "the store's audit chain is intact with the signer's events" audit.txt "audit chain intact"

# ---- the peer check ------------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 711 "$work" # another user reaches the socket; its mode and the signer decide the rest
  stop_signer; start_signer --socket-mode 0660
  # uid 65534 with group 0 may open the 0660 socket: only the signer's own check stands
  check "a peer of another uid is refused by its uid" 1 setpriv --reuid=65534 --regid=65534 \
    --groups=0 "$issuer" signer status "${S[@]}"
  has "saying this user may not use the signer" err.txt "may not use the signer"
  stop_signer; start_signer --socket-mode 0660 --allow-uid 65534
  check "an --allow-uid peer is answered" 0 setpriv --reuid=65534 --regid=65534 --groups=0 \
    "$issuer" signer status "${S[@]}"
  stop_signer; start_signer
  check "a 0600 socket: another uid cannot even connect" 2 setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$issuer" signer status "${S[@]}"
else
  echo "ok $((n + 1)) - # SKIP the peer check needs root and setpriv"; n=$((n + 1))
fi

# ---- forged requests ------------------------------------------------------------------------------
raw() { # raw BYTES: sends them as they are, prints the answer
  python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()); s.shutdown(socket.SHUT_WR)
print(s.recv(65536).decode())
PY
}
forged() { # forged DESCRIPTION CODE REQUEST
  raw "$3" > raw.txt; has "$1" raw.txt "\"error\": *\"$2\""
}
forged "a request that is not JSON" bad_request 'sign-batch 1'
forged "an unknown operation" unknown_op '{"op":"sign-anything","account":"carol","password":"x"}'
forged "a member the operation does not take" bad_request \
  '{"op":"sign-batch","account":"carol","password":"x","batch":1,"signature":"00"}'
forged "a duplicate member" bad_request \
  '{"op":"sign-batch","account":"carol","account":"bob","password":"x","batch":1}'
forged "a batch that is not a number" bad_batch \
  '{"op":"sign-batch","account":"carol","password":"x","batch":"1"}'
forged "a window longer than eight hours" bad_minutes \
  '{"op":"unlock","account":"carol","password":"x","passphrase":"y","minutes":481}'
big=$(python3 -c 'print("{\"op\":\"status\",\"x\":\"" + "a" * 20000 + "\"}")')
forged "a request over 16 KiB" bad_request "$big"
check "the signer still answers after all of them" 0 "$issuer" signer status "${S[@]}"

# ---- unapproved and tampered batches ------------------------------------------------------------
python3 "$here/gen_results.py" 5 100 12620102438000123H > second.csv
echo -14 > clock
check "a second batch is prepared" 0 "$issuer" batch prepare second.csv --title 第二批 "${PREP[@]}" \
  $(as frank) "${D[@]}"
"$issuer" batch publicise 2 --out pubdir "${S[@]}" $(as frank) "${D[@]}" >/dev/null 2>&1
check "an objection against batch 2 is recorded" 0 "$issuer" batch objection 2 --line 2 \
  --objector 李五 --contact 13900000001 --received "$start" --text 资格存疑 $(as frank) "${D[@]}"
echo 0 > clock
check "the signer is unlocked again" 0 unlock carol
check "a batch not approved is refused by the signer" 1 "$issuer" batch sign 2 "${S[@]}" $(as carol)
has "naming why" err.txt "only approved work is signed"
h2=$("$issuer" batch status 2 "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
sq() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' gs.db "$1"; }
# sqx SQL: as someone who can write the database file does it, the append-only triggers dropped
# for the statement and put back
sqx() {
  python3 - gs.db "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
t = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
for name, _ in t: c.execute(f"DROP TRIGGER {name}")
c.execute(sys.argv[2])
for _, sql in t: c.execute(sql)
c.commit()
PY
}
hex2blob() { echo "X'$1'"; }
sq "DELETE FROM objections WHERE batch=2" # the objection leaves the table, not the audit log
sq "UPDATE wf_batches SET state='approved', approved_by=(SELECT id FROM accounts WHERE name='bob'), approved_at=1, approved_hash=$(hex2blob "$h2"), decision='伪造' WHERE id=2"
check "an approval written into the table, not the audit chain, is refused" 1 "$issuer" batch sign 2 \
  "${S[@]}" $(as carol)
has "the approval is not the one the audit log recorded" err.txt "not the one the audit log recorded"
sq "UPDATE wf_batches SET state='publicised', approved_by=NULL, approved_hash=NULL, decision=NULL WHERE id=2"
check "erin (approver and custodian) approves batch 2" 0 "$issuer" batch approve 2 \
  --decision 甘人社〔2026〕2号 --rows-hash "$h2" $(as erin) "${D[@]}"
check "and cannot have it signed herself" 1 "$issuer" batch sign 2 "${S[@]}" $(as erin)
has "the custodian is neither preparer nor approver" err.txt "neither the one who prepared nor"
sq "UPDATE wf_rows SET row=replace(row, '测试101', '测试999') WHERE batch=2 AND line=3"
check "a row changed in the table after approval is refused" 1 "$issuer" batch sign 2 "${S[@]}" \
  $(as carol)
has "the approval no longer holds" err.txt "changed after the approval"
sq "UPDATE wf_rows SET row=replace(row, '测试999', '测试101') WHERE batch=2 AND line=3"
sq "UPDATE wf_batches SET gongshi_from=gongshi_from-20, gongshi_to=gongshi_to-20 WHERE id=2"
check "a 公示 moved in the table is refused against its register entry" 1 "$issuer" batch sign 2 \
  "${S[@]}" $(as carol)
has "the 公示 is not the one the register logged" err.txt "not the one the register logged"
sq "UPDATE wf_batches SET gongshi_from=gongshi_from+20, gongshi_to=gongshi_to+20 WHERE id=2"
check "an objection deleted from its table, never resolved in the audit log, is refused" 1 \
  "$issuer" batch sign 2 "${S[@]}" $(as carol)
has "naming it" err.txt "never resolved"
n_before=$(python3 -c 'import sqlite3; print(sqlite3.connect("gs.db").execute("SELECT count(*) FROM certificates").fetchone()[0])')
truth "none of the refused requests issued anything" [ "$n_before" = 3 ]

# ---- the window and idleness ------------------------------------------------------------------------
stop_signer; start_signer --window-max 2s
check "unlocked for at most --window-max" 0 unlock carol
has "two seconds, whatever was asked" out.txt '"seconds":2'
sleep 3
check "after the window signing is refused" 1 "$issuer" batch sign 2 "${S[@]}" $(as carol)
has "locked" err.txt "the signer is locked"
stop_signer; start_signer --idle 1s
check "unlocked again" 0 unlock carol
sleep 2.5
check "idle past --idle: locked" 0 "$issuer" signer status "${S[@]}"
has "it locked itself" out.txt '"state":"locked"'
grep -q "locked: 空闲超时 / idle" signer.log
truth "and said why on its log" [ $? = 0 ]

# ---- revocations ------------------------------------------------------------------------------------
first=$(ls certs/*.txt | head -1 | xargs -n1 basename | cut -d. -f1)
check "a revocation dated after today is refused (it would leave the certificate valid till then)" \
  1 "$issuer" revocation propose "$first" --reason fraud --date "$(date -d "$today +1 day" +%F)" \
  --title 撤销 $(as alice) "${D[@]}"
has "naming the date" err.txt "is after today"
check "a clerk proposes a revocation" 0 "$issuer" revocation propose "$first" --reason fraud \
  --blacklist --title 撤销 $(as alice) "${D[@]}"
rb=$(sed -n 's/^revocation batch \([0-9]*\) proposed.*/\1/p' out.txt)
hr=$("$issuer" revocation status "$rb" "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
check "the approver approves it" 0 "$issuer" revocation approve "$rb" --decision 甘人社〔2026〕9号 \
  --rows-hash "$hr" $(as bob) "${D[@]}"
stop_signer; start_signer; unlock carol >/dev/null 2>&1
check "sign-batch does not sign a revocation batch" 1 "$issuer" batch sign "$rb" "${S[@]}" $(as carol)
check "the signer signs the revocation" 0 "$issuer" revocation sign "$rb" "${S[@]}" $(as carol)
"$issuer" show "${D[@]}" "$first" > show.txt 2>&1
has "the certificate is revoked" show.txt "已撤销（fraud"

# ---- a 公示 the signer did not see: dated from the day it first did -------------------------------
stop_signer
echo -14 > clock # publicised "two weeks ago" while the signer was not running
python3 "$here/gen_results.py" 3 800000 12620102438000123H > late.csv
"$issuer" batch prepare late.csv --title 补发 "${PREP[@]}" $(as alice) "${D[@]}" >prep.txt 2>&1
bb=$(sed -n 's/^batch \([0-9]*\) prepared.*/\1/p' prep.txt)
check "a 公示 with no signer to see it" 0 "$issuer" batch publicise "$bb" --out pubdir "${S[@]}" \
  $(as alice) "${D[@]}"
has "publicise says the signer was not reached and what that means" err.txt "first sees it"
echo 0 > clock
start_signer; unlock carol >/dev/null 2>&1
hb=$("$issuer" batch status "$bb" "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
check "it is approved (the store's dates say its period is over)" 0 "$issuer" batch approve "$bb" \
  --decision 甘人社〔2026〕5号 --rows-hash "$hb" $(as bob) "${D[@]}"
check "the signer refuses it: its period runs from the day the signer first saw it" 1 \
  "$issuer" batch sign "$bb" "${S[@]}" $(as carol)
has "saying from when" err.txt "counted from the day the signer saw it ($today)"
truth "the signer's record is its own (0600)" [ "$(stat -c %a signer.state)" = 600 ]
grep -q "^seen " signer.state
truth "and holds the 公示 entries it saw" [ $? = 0 ]
cp signer.state good.state
stop_signer
printf 'titlecert-signer state 1\nbase -1\n' > signer.state
check "a damaged record stops the signer at start" 2 "$signer" serve "${S[@]}" --db gs.db \
  --hash-key store.key --key ws.key --publication-key pub.key "${T[@]}" --publish-dir pubdir \
  --state signer.state
has "naming the file" err.txt "signer.state: 不是签名服务的记录文件"
cp good.state signer.state
start_signer; unlock carol >/dev/null 2>&1

# ---- a SIGKILL during signing --------------------------------------------------------------------
python3 "$here/gen_results.py" 3000 500000 12620102438000123H > big.csv
echo -14 > clock
"$issuer" batch prepare big.csv --title 大批 "${PREP[@]}" $(as alice) "${D[@]}" >prep.txt 2>&1
kb=$(sed -n 's/^batch \([0-9]*\) prepared.*/\1/p' prep.txt)
"$issuer" batch publicise "$kb" --out pubdir "${S[@]}" $(as alice) "${D[@]}" >/dev/null 2>&1
echo 0 > clock
hk=$("$issuer" batch status "$kb" "${D[@]}" 2>/dev/null | sed -n 's/^  rows hash: //p')
"$issuer" batch approve "$kb" --decision 甘人社〔2026〕3号 --rows-hash "$hk" $(as bob) "${D[@]}" >/dev/null 2>&1
count() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("gs.db").execute(sys.argv[1]).fetchone()[0])' "$1"; }
before=$(count "SELECT count(*) FROM certificates")
killed_mid=0
for delay in 0.2 0.5 0.9 1.5; do
  "$issuer" batch sign "$kb" "${S[@]}" $(as carol) >/dev/null 2>&1 &
  cpid=$!
  sleep $delay
  if kill -0 "$spid" 2>/dev/null && kill -0 "$cpid" 2>/dev/null; then killed_mid=1; fi
  kill -9 "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=
  wait "$cpid" 2>/dev/null
  state=$(count "SELECT state FROM wf_batches WHERE id=$kb")
  now_n=$(count "SELECT count(*) FROM certificates")
  if [ "$state" = approved ]; then
    truth "SIGKILL after ${delay}s: approved, and not one certificate of it" [ "$now_n" = "$before" ]
  else
    truth "SIGKILL after ${delay}s: signed, with every certificate" \
      [ "$state" = signed -a "$now_n" = $((before + 3000)) ]
    break
  fi
  start_signer; unlock carol >/dev/null 2>&1
done
truth "at least one SIGKILL landed while the batch was being signed" [ "$killed_mid" = 1 ]
[ -z "$spid" ] && { start_signer; unlock carol >/dev/null 2>&1; }
if [ "$(count "SELECT state FROM wf_batches WHERE id=$kb")" = approved ]; then
  check "after the crashes the batch is signed whole" 0 "$issuer" batch sign "$kb" "${S[@]}" $(as carol)
fi
truth "it holds all 3000 certificates once" [ "$(count "SELECT count(*) FROM certificates")" = $((before + 3000)) ]
check "the audit chain is intact after the crashes" 0 "$issuer" audit verify "${D[@]}"

# ---- the register and the audit log, edited under the signer ---------------------------------------
[ -z "$spid" ] && start_signer
unlock carol >/dev/null 2>&1
last=$(count "SELECT max(idx) FROM register")
sq "INSERT INTO register(idx, leaf, hash) SELECT $last + 1, leaf, hash FROM register WHERE idx = $last"
check "an entry written into the register's table is not published" 1 "$issuer" signer publish \
  "${S[@]}" $(as carol)
has "naming it" err.txt "register entry $((last + 1)) was neither written by the signer nor vouched"
sqx "DELETE FROM register WHERE idx = $last + 1"
seen_idx=$(awk '/^seen /{i=$2} END{print i}' signer.state)
sq "INSERT INTO register(idx, leaf, hash) SELECT $last + 1, leaf, hash FROM register WHERE idx = $seen_idx"
check "nor a copy of a 公示's entry: its audit event vouches for one entry, not two" 1 \
  "$issuer" signer publish "${S[@]}" $(as carol)
has "naming it" err.txt "register entry $((last + 1)) was neither"
sqx "DELETE FROM register WHERE idx = $last + 1"
# a stop between a signing's commit and the signer's record of it, as a SIGKILL can make it
stop_signer
cp signer.state full.state
own_from=$(awk '/^own /{a=$2} END{print a}' signer.state)
grep -v "^own $own_from " full.state > signer.state
start_signer; unlock carol >/dev/null 2>&1
check "entries the signer has no record of writing are not published" 1 "$issuer" signer publish \
  "${S[@]}" $(as carol)
has "the first of them named" err.txt "register entry $own_from was neither"
stop_signer
{ cat signer.state; echo "pending $own_from"; } > p.state && mv p.state signer.state
start_signer; unlock carol >/dev/null 2>&1
check "with the signing marked pending, its genuine audit event says what it appended" 0 \
  "$issuer" signer publish "${S[@]}" $(as carol)
has "the signer says it recovered them" signer.log "a signing stopped before its record"
grep -q "^own $own_from " signer.state
truth "and records them as its own" [ $? = 0 ]
# what the signer last published anchors the next publication (A3): without the store's
# checkpoints, a rewritten register would be checked against nothing
grep -q "^checkpoint [0-9]* [0-9]* [0-9a-f]\{64\}$" signer.state
truth "the signer's record keeps the checkpoint it last published, with its version" [ $? = 0 ]
sq "CREATE TABLE saved_checkpoints AS SELECT * FROM checkpoints"
sq "DELETE FROM checkpoints"
check "the store's checkpoints deleted: the signer refuses to publish" 1 "$issuer" signer publish \
  "${S[@]}" $(as carol)
has "saying it is not the one it last published" err.txt "not the one the signer last published"
sq "INSERT INTO checkpoints SELECT * FROM saved_checkpoints"
sq "DROP TABLE saved_checkpoints"
version=$(count "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'bundle_version'")
sq "UPDATE meta SET value = '18446744073709551614' WHERE key = 'bundle_version'"
check "the bundle version moved in the store: refused" 1 "$issuer" signer publish "${S[@]}" \
  $(as carol)
has "naming both versions" err.txt "the signer last published version $version"
sq "UPDATE meta SET value = CAST('$version' AS BLOB) WHERE key = 'bundle_version'"
check "both put back, the signer publishes again" 0 "$issuer" signer publish "${S[@]}" $(as carol)
# a publication that fails after its export committed (its last file cannot be written): the
# signer records the checkpoint committed, so the next one goes on from it
mv pubdir/head pubdir/head.saved && mkdir -p pubdir/head/in-the-way
check "the head cannot be written: the publication fails after the export committed" 1 \
  "$issuer" signer publish "${S[@]}" $(as carol)
rm -rf pubdir/head && mv pubdir/head.saved pubdir/head
check "the next publication goes on from the checkpoint that export committed" 0 "$issuer" \
  signer publish "${S[@]}" $(as carol)
seq_cut=$(count "SELECT max(seq) FROM events")
sqx "DELETE FROM events WHERE seq > $seq_cut - 3"
check "the audit log's last events cut: the chain that is left is intact" 0 "$issuer" audit verify \
  "${D[@]}"
check "but the signer refuses: it no longer holds the event it last recorded" 1 "$issuer" signer \
  publish "${S[@]}" $(as carol)
has "saying so" err.txt "the audit log no longer holds the event the signer last recorded"
stop_signer
finish
