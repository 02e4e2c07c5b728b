#!/usr/bin/env bash
# issuer_store.sh - the issuer's store keeps what it holds when the world fails around it:
#  - a full disk after the batch is committed: import exits 2 with the system's reason (No space
#    left on device), says which certificates were issued and whose files were not written, and
#    names the command that writes them; `render` does, from the store;
#  - read-only commands (show, audit verify, render) work on a store on read-only media;
#  - an older schema is upgraded only by `migrate`, after a backup, never by another command;
#  - the store and its WAL are the owner's only (0600) whatever the umask (17.8; they were 0644);
#  - schema 10 withdraws a whole enrolment code an admin made before codes came in halves.
# The full and the read-only file systems are small tmpfs mounts (root, or a user namespace);
# where neither can be had those parts say SKIP. Prints TAP.
# usage: issuer_store.sh KEYS ISSUER VERIFIER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
mounts=()
cleanup() { for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
export PW='issuer store test passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --tracks basic,province,status,register --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
D=(--db gs.db --hash-key store.key "${P[@]}")
T=(--root root.pub --trust-list trust.list)
B=http://127.0.0.1:8080
umask 022
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null
for k in employment assessments ce; do "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null; done
truth "17.8: under umask 022 the store is created 0600" [ "$(stat -c %a gs.db)" = 600 ]
# a reader holding the store open keeps its WAL and shared-memory files in place
python3 -c 'import sqlite3, sys, time; c = sqlite3.connect("gs.db"); c.execute("SELECT count(*) FROM units").fetchall(); sys.stdout.write("open\n"); sys.stdout.flush(); time.sleep(5)' > holder.txt &
holder=$!
for _ in $(seq 50); do grep -q open holder.txt 2>/dev/null && break; sleep 0.1; done
truth "17.8: and its write-ahead log and shared-memory file too" \
  [ "$(stat -c %a gs.db-wal)" = 600 -a "$(stat -c %a gs.db-shm)" = 600 ]
kill $holder 2>/dev/null; wait $holder 2>/dev/null
cp gs.db widened.db && chmod 0644 widened.db
"$issuer" revoke --db widened.db --hash-key store.key "${P[@]}" --reason error 1 >/dev/null 2>&1
truth "17.8: a store left 0644 by an older release is narrowed when opened for writing" \
  [ "$(stat -c %a widened.db)" = 600 ]

# a tmpfs of SIZE at DIR: mounted directly as root; SKIP where mounting is not allowed
can_mount=0
mkdir -p probe && mount -t tmpfs -o size=16k tmpfs probe 2>/dev/null && { umount probe; can_mount=1; }
small_fs() { mkdir -p "$2" && mount -t tmpfs -o "size=$1" tmpfs "$2" && mounts+=("$(realpath "$2")"); }

if [ $can_mount = 1 ]; then
  small_fs 24k full
  check "a full disk while writing the files: import exits 2" 2 "$issuer" import "${D[@]}" --key ws.key "${T[@]}" \
    --out-dir full --base-url "$B" "$data/samples/gs-results.csv"
  has "the batch was issued, and says so with its number" out.txt "issued 4 certificates: .* (batch 1)"
  has "the system's reason is kept" err.txt "No space left on device"
  has "it says whose files were written and whose were not" err.txt "the certificates are issued and stored; the files of [0-3] of 4 were written"
  has "and names the command that writes them" err.txt "render --db gs.db --batch 1 --out-dir full --base-url"
else
  echo "ok $((n += 1)) - full disk at import # SKIP cannot mount a small tmpfs here (needs root)"
  "$issuer" import "${D[@]}" --key ws.key "${T[@]}" "$data/samples/gs-results.csv" >/dev/null
fi
check "the store holds the 4 certificates" 0 sqlite3 gs.db "SELECT count(*) FROM certificates"
has "4 rows" out.txt "^4$"
check "audit verify: the chain is intact" 0 "$issuer" audit verify "${D[@]}"
check "render --batch 1 writes every file from the store" 0 "$issuer" render --db gs.db --batch 1 \
  --out-dir out --base-url "$B"
truth "16 files (payload, link, PNG, SVG for each)" [ "$(ls out | wc -l)" = 16 ]
first=$(sqlite3 gs.db "SELECT min(id) FROM certificates")
check "render of one certificate by id" 0 "$issuer" render --db gs.db --out-dir one --base-url "$B" "$first"
truth "its four files" [ "$(ls one | wc -l)" = 4 ]
check "what render wrote verifies" 0 "$verifier" verify "${T[@]}" "$(cat "out/$first.link")"
check "render of a batch that does not exist is an error" 2 "$issuer" render --db gs.db --batch 9 --out-dir x --base-url "$B"
has "naming it" err.txt "no batch 9"

# read-only media: show, audit verify and render work; writing commands say why they cannot
if [ $can_mount = 1 ]; then
  small_fs 8m ro
  cp gs.db gs.db-wal gs.db-shm ro/ 2>/dev/null || cp gs.db ro/
  sqlite3 ro/gs.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1
  rm -f ro/gs.db-wal ro/gs.db-shm
  mount -o remount,ro "$(realpath ro)"
  check "show works on a store on read-only media" 0 "$issuer" show --db ro/gs.db "$first"
  has "and shows the certificate" out.txt "$first"
  check "audit verify works on it" 0 "$issuer" audit verify --db ro/gs.db --hash-key store.key "${P[@]}"
  check "render works from it" 0 "$issuer" render --db ro/gs.db --batch 1 --out-dir out2 --base-url "$B"
  check "a writing command on it fails with a reason" 2 "$issuer" revoke --db ro/gs.db --hash-key store.key \
    "${P[@]}" --reason error "$first"
else
  echo "ok $((n += 1)) - read-only media # SKIP cannot mount a tmpfs here (needs root)"
fi

# an older schema: refused by every command, upgraded only by migrate, after a backup
cp gs.db old.db
# schema 2, as the previous release wrote it (before the C6 columns)
sqlite3 old.db "ALTER TABLE certificates DROP COLUMN commit_unit; ALTER TABLE certificates DROP COLUMN commitment_end; ALTER TABLE certificates DROP COLUMN achievement_cert; ALTER TABLE certificates DROP COLUMN reg_leaf; DROP TABLE register; DROP TABLE checkpoints; DROP TABLE seals; DROP TABLE objections; DROP TABLE wf_rows; DROP TABLE wf_batches; DROP TABLE role_changes; DROP TABLE account_roles; DROP TABLE sessions; DROP TABLE accounts; DROP TABLE calendar; DROP TABLE register_nodes; DROP TABLE register_status; DELETE FROM meta WHERE key = 'register_state'; PRAGMA user_version = 2" >/dev/null
check "show refuses a store of an older schema" 2 "$issuer" show --db old.db "$first"
has "and says to migrate, which backs up first" err.txt "older than this program's: run 'titlecert-issuer migrate --db FILE'"
check "so does a writing command, which does not upgrade it silently" 2 "$issuer" revoke --db old.db \
  --hash-key store.key "${P[@]}" --reason error "$first"
has "the schema is still 2" <(sqlite3 old.db "PRAGMA user_version") "^2$"
check "migrate upgrades it" 0 "$issuer" migrate --db old.db
has "naming the backup and the versions" out.txt "backed up to old.db.schema2-.*\.bak"
has "schema 2 -> 11" out.txt "schema 2 -> 11"
truth "schema 6 logs the profile and the unit directory it held (A3): a data entry each" \
  [ "$(sqlite3 old.db "SELECT count(*) FROM register WHERE substr(leaf, 1, 2) = x'8406'")" = 2 ]
truth "schema 7 gives it the working-day years shipped (2026 among them)" \
  [ "$(sqlite3 old.db "SELECT count(*) FROM calendar WHERE year = 2026")" = 1 ]
truth "schema 4 registers the 4 certificates it held (A3): an issue leaf each" \
  [ "$(sqlite3 old.db "SELECT count(*) FROM register WHERE substr(leaf, 1, 2) = x'8601'")" = 4 -a \
    "$(sqlite3 old.db "SELECT count(*) FROM certificates WHERE reg_leaf IS NULL")" = 0 ]
bak=$(ls old.db.schema2-*.bak 2>/dev/null | head -1)
truth "the backup exists, mode 0600, still schema 2" \
  [ -n "$bak" -a "$(stat -c %a "$bak" 2>/dev/null)" = 600 -a "$(sqlite3 "$bak" "PRAGMA user_version")" = 2 ]
truth "and holds the 4 certificates" [ "$(sqlite3 "$bak" "SELECT count(*) FROM certificates")" = 4 ]
check "after migrate, show works" 0 "$issuer" show --db old.db "$first"
check "migrate again: nothing to do" 0 "$issuer" migrate --db old.db
has "says so" out.txt "is current; nothing to do"
# schema 10: a whole enrolment code an admin made before codes came in halves (schema 9) would let
# that admin alone enrol the account as someone else; migrate withdraws it and names the accounts.
# Kept: the host's bootstrap codes, and codes whose second half was given (two halves already).
for a in admin1 admin2 admin3 olduser halved; do printf 'password-of-%s-1\n' $a > $a.pw; chmod 600 $a.pw; done
newstore() { # newstore DB: a demo store whose host bootstrap made admin1 (with a password)
  "$issuer" init --db "$1" --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" --demo >/dev/null 2>&1
  "$issuer" account add admin1 --name 管理员甲 --roles admin --password-file admin1.pw --db "$1" \
    --hash-key store.key "${P[@]}" >/dev/null 2>&1
}
code_of() { sed -n 's/^enrolment code.*: //p' out.txt > "$1.code"; chmod 600 "$1.code"; }
two_halves() { printf '%s %s\n' "$(cat "$1.code")" "$(sed -n 's/^enrolment code.*: //p' out.txt)" > "$1.code"; }
at9() { # at9 DB: the store at schema 9, before records were sealed (schema 11)
  sqlite3 "$1" "ALTER TABLE accounts DROP COLUMN seal; ALTER TABLE sessions DROP COLUMN mac; PRAGMA user_version = 9"
}
whole() { # whole DB NAME: NAME's code made whole as before schema 9 (ABCDEFGHJKLMNPQRSTUV), at schema 9
  python3 - "$1" "$2" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE accounts SET enrol_hash = ?, enrol_half_by = NULL WHERE name = ?",
          (hashlib.blake2b(b"ABCDEFGHJKLMNPQRSTUV", digest_size=32).digest(), sys.argv[2]))
c.commit()
PY
  at9 "$1"
  echo ABCDEFGHJKLMNPQRSTUV > "$2.code"; chmod 600 "$2.code"
}
# store A: admin2 by the host with a code; olduser added by admin1 (its code made whole); halved
# added by admin1, its second half given by admin2
A=(--db acc.db --hash-key store.key "${P[@]}")
newstore acc.db
"$issuer" account add admin2 --name 管理员乙 --roles admin "${A[@]}" >out.txt 2>/dev/null; code_of admin2
"$issuer" account add olduser --name 旧人员 --roles clerk --as admin1 --password-file admin1.pw "${A[@]}" >/dev/null 2>&1
"$issuer" account add halved --name 两半 --roles clerk --as admin1 --password-file admin1.pw "${A[@]}" >out.txt 2>/dev/null
code_of halved
"$issuer" account enrol admin2 --code-file admin2.code --password-file admin2.pw "${A[@]}" >/dev/null 2>&1
"$issuer" account half halved --as admin2 --password-file admin2.pw "${A[@]}" >out.txt 2>/dev/null; two_halves halved
whole acc.db olduser
truth "a schema 9 store: olduser's code whole (made by admin1), halved's two halves given" \
  [ "$(sqlite3 acc.db "SELECT group_concat(name) FROM (SELECT name FROM accounts WHERE pw_hash IS NULL AND enrol_hash IS NOT NULL AND enrol_half_by IS NULL ORDER BY name)")" = halved,olduser ]
# schema 11 seals each account's record with the store's key: a store with accounts is upgraded
# only with it, and only with its own
check "migrate without the hash key: refused (a store with accounts)" 2 "$issuer" migrate --db acc.db
has "saying the upgrade seals the accounts with it" err.txt "seals each account's record with the store's hash key: give --hash-key"
has "the schema is still 9" <(sqlite3 acc.db "PRAGMA user_version") "^9$"
"$keys" hash-key-create --out other --name other --kdf interactive "${P[@]}" >/dev/null 2>&1
check "migrate with another store's hash key: refused" 2 "$issuer" migrate --db acc.db --hash-key other.key "${P[@]}"
has "the schema is still 9, after that too" <(sqlite3 acc.db "PRAGMA user_version") "^9$"
# these stores were made sealed and their version set back by hand: exactly what someone who wants
# edited records sealed would do, so migrate refuses them unless told the records were checked
check "migrate with its key: refused, its records were sealed before" 2 "$issuer" migrate --db acc.db --hash-key store.key "${P[@]}"
has "saying the version was set back by hand" err.txt "sealed before (audit event [0-9]*): the store's schema version was set back by hand"
check "migrate upgrades it" 0 "$issuer" migrate --db acc.db --hash-key store.key --reseal-accounts "${P[@]}"
has "schema 9 -> 11" out.txt "schema 9 -> 11"
truth "every account's record sealed" [ "$(sqlite3 acc.db "SELECT count(*) FROM accounts WHERE length(seal) = 32")" = "$(sqlite3 acc.db "SELECT count(*) FROM accounts")" ]
has "naming the one account whose code it withdrew" out.txt "enrolment codes withdrawn.*to be reset: 1: olduser ("
truth "olduser's code is withdrawn, halved's kept" \
  [ "$(sqlite3 acc.db "SELECT group_concat(name) FROM accounts WHERE pw_hash IS NULL AND enrol_hash IS NOT NULL")" = halved ]
check "the whole code admin1 made no longer enrols olduser" 1 "$issuer" account enrol olduser \
  --code-file olduser.code --password-file olduser.pw "${A[@]}"
has "saying it was withdrawn and enrols after a reset" err.txt "withdrawn.*it enrols after a reset"
check "account list" 0 "$issuer" account list "${A[@]}"
has "says the code was withdrawn" out.txt "olduser.*code withdrawn: reset it"
check "halved enrols with its two halves (given before the upgrade)" 0 "$issuer" account enrol halved \
  --code-file halved.code --password-file halved.pw "${A[@]}"
check "the host may not reset olduser (a clerk: two admins reset it)" 1 "$issuer" account reset olduser "${A[@]}"
has "saying so" err.txt "the host resets only an admin account whose code the upgrade withdrew"
check "admin1 resets olduser" 0 "$issuer" account reset olduser --as admin1 --password-file admin1.pw "${A[@]}"
code_of olduser
check "admin2 gives the second half" 0 "$issuer" account half olduser --as admin2 --password-file admin2.pw "${A[@]}"
two_halves olduser
check "and olduser enrols with the two halves" 0 "$issuer" account enrol olduser \
  --code-file olduser.code --password-file olduser.pw "${A[@]}"
# store B: the host's bootstrap code of admin2, not yet used, stays
B=(--db accb.db --hash-key store.key "${P[@]}")
newstore accb.db
"$issuer" account add admin2 --name 管理员乙 --roles admin "${B[@]}" >out.txt 2>/dev/null; code_of admin2
at9 accb.db
check "migrate (store B)" 0 "$issuer" migrate --db accb.db --hash-key store.key --reseal-accounts "${P[@]}"
truth "withdrawing nothing" bash -c "! grep -q withdrawn out.txt"
check "the host's code still enrols admin2" 0 "$issuer" account enrol admin2 --code-file admin2.code \
  --password-file admin2.pw "${B[@]}"
# stores C and D: admin1 reset admin2 while a third admin, admin3, was there (a whole code, before
# schema 9). In C admin3 was disabled before the upgrade: no two admins can reset admin2, so the
# host may, once. In D admin3 is disabled after it: that opens nothing for the host
upgraded() { # upgraded DB: the store above, at schema 9
  local X=(--db "$1" --hash-key store.key "${P[@]}")
  newstore "$1"
  "$issuer" account add admin2 --name 管理员乙 --roles admin --password-file admin2.pw "${X[@]}" >/dev/null 2>&1
  "$issuer" account add admin3 --name 管理员丙 --roles admin --as admin1 --password-file admin1.pw "${X[@]}" >out.txt 2>/dev/null
  code_of admin3
  "$issuer" account confirm 1 --as admin2 --password-file admin2.pw "${X[@]}" >out.txt 2>/dev/null; two_halves admin3
  "$issuer" account enrol admin3 --code-file admin3.code --password-file admin3.pw "${X[@]}" >/dev/null 2>&1
  "$issuer" account reset admin2 --as admin1 --password-file admin1.pw "${X[@]}" >/dev/null 2>&1
}
C=(--db accc.db --hash-key store.key "${P[@]}")
upgraded accc.db
"$issuer" account disable admin3 --as admin1 --password-file admin1.pw "${C[@]}" >/dev/null 2>&1
whole accc.db admin2
check "migrate (store C)" 0 "$issuer" migrate --db accc.db --hash-key store.key --reseal-accounts "${P[@]}"
has "withdrawing admin2's code" out.txt "to be reset: 1: admin2 ("
sed 's/^/# /' out.txt
check "admin1 cannot reset admin2: no other admin could give the second half" 1 "$issuer" account \
  reset admin2 --as admin1 --password-file admin1.pw "${C[@]}"
check "nor may the host reset admin3, whom admin1 disabled" 1 "$issuer" account reset admin3 "${C[@]}"
check "the host can reset admin2: withdrawn when only one other admin was enrolled" 0 \
  "$issuer" account reset admin2 "${C[@]}"
has "printing a whole code" out.txt "^enrolment code (shown once): [A-Z2-9]\{20\}$"
code_of admin2
check "once: a second host reset of admin2 is refused" 1 "$issuer" account reset admin2 "${C[@]}"
check "admin2 enrols with the host's code" 0 "$issuer" account enrol admin2 --code-file admin2.code \
  --password-file admin2.pw "${C[@]}"
check "audit verify: the chain holds across the upgrade and the host's reset" 0 "$issuer" audit verify "${C[@]}"
D=(--db accd.db --hash-key store.key "${P[@]}")
upgraded accd.db
whole accd.db admin2
check "migrate (store D)" 0 "$issuer" migrate --db accd.db --hash-key store.key --reseal-accounts "${P[@]}"
check "the host may not reset admin2: admin1 and admin3 can" 1 "$issuer" account reset admin2 "${D[@]}"
check "admin1 disables admin3" 0 "$issuer" account disable admin3 --as admin1 --password-file admin1.pw "${D[@]}"
check "which does not let the host reset admin2 (one admin alone takes no second admin)" 1 \
  "$issuer" account reset admin2 "${D[@]}"
finish
