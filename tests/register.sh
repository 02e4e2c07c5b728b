#!/usr/bin/env bash
# register.sh - the public register (rule A3) end to end, through the real programs:
#  - publish writes the 公示 (review-passed and assessment-recognised persons apart), the tiles,
#    the checkpoint and the bundle; titlecert-register verifies, proves, audits and monitors;
#  - back-dating: a certificate signed after its key's revocation (or past its term) with an
#    issued_at before it verifies against the trust list alone, and is not_registered with the
#    bundle;
#  - a bundle with an extra index entry or a dropped revocation fails the audit, naming it;
#  - a flipped byte in a tile makes verification and proofs fail;
#  - a verifier that accepted a register refuses an older bundle after a restart, and a forked
#    register (split view) without a consistency proof;
#  - the verifier serves the checkpoint and inclusion proofs.
#  - an edited or inserted store row is refused by publish, naming it (17.2, 17.3); a bundle or
#    delta forged with the publication key fails the audit, naming what differs (17.1)
# Prints TAP. usage: register.sh KEYS ISSUER VERIFIER REGISTER DATA_DIR FORGE
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") reg=$(realpath "$4")
data=$(realpath "$5") forge=$(realpath "$6")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
gs_fixture
R=(--root root.pub --dir pub)
today=$(TZ=Asia/Shanghai date +%F)

# a second batch with an assessment-recognised person (考核认定), for the 公示
{ head -1 "$data/samples/gs-results.csv"
  echo "孙静,620102199101010019,WS-HL,护理学,中级,province,assessment,2026,2026-10-25,2026-11,12620000438000456W,,,,101,甘卫高评〔2026〕5号"
  echo "周强,620102198901010020,WS-YL,内科学,中级,province,review,2026,2026-10-25,2026-11,12620000438000456W,,,,101,甘卫高评〔2026〕5号"
} > batch2.csv
"$issuer" import "${D[@]}" --key ws.key "${T[@]}" --out-dir certs2 --base-url http://127.0.0.1:8080 batch2.csv >/dev/null
check "publish --batch 2 writes the 公示, tiles, checkpoint and bundle" 0 "$issuer" publish "${D[@]}" \
  --key ws.key "${T[@]}" --out pub --batch 2
has "it says what it wrote" out.txt "register: [0-9][0-9]* entries"
truth "the 公示 in HTML, CSV and JSON" [ -s pub/gongshi-2.html -a -s pub/gongshi-2.csv -a -s pub/gongshi-2.json ]
has "review-passed persons are listed apart (GS §9(三)7)" pub/gongshi-2.html "评审通过人员（1 人）"
has "and assessment-recognised persons apart" pub/gongshi-2.html "考核认定人员（1 人）"
has "with the announcement period" pub/gongshi-2.html "公示期：$today 至"
has "the JSON names person, unit, title, track and how obtained" pub/gongshi-2.json \
  '"name":"孙静","unit":"[^"]*","series":"卫生(护理)","specialty":"护理学","level":"中级","title":"主管护师","track":"全省统一职称","scope":"全省范围有效","method":"考核认定"'
h=$(sha256sum pub/gongshi-2.json | cut -c1-64)
truth "the JSON's SHA-256 is a publication entry of the register" \
  [ "$(sqlite3 gs.db "SELECT count(*) FROM register WHERE substr(leaf, 1, 2) = x'8405' AND instr(leaf, x'$h') > 0")" = 1 ]
truth "the register itself holds no names (no 孙静 in any entry bundle)" sh -c '! grep -rq "孙静" pub/tile'
check "titlecert-register verify: checkpoint signed by a register key, tiles give its root" 0 "$reg" verify "${R[@]}"
has "it names the register and its size" out.txt "checkpoint: titlecert.invalid/register/GS, [0-9][0-9]* entries"
check "prove: a certificate's inclusion proof verifies" 0 "$reg" prove "${R[@]}" "${ids[1]}"
# entries 0 and 1 are the profile and the unit directory (A3), then the batch: ids[1] is entry 3
has "naming its entry" out.txt "register entry 3 of "
has "and the key it was issued under" out.txt "issued under key [0-9a-f]"
check "audit: the bundle agrees with the register" 0 "$reg" audit "${R[@]}"
"$reg" prove "${R[@]}" "${ids[1]}" > prove.txt
kid=$(grep -o 'issued under key [0-9a-f]*' prove.txt | awk '{print $4}')
check "monitor --kid lists what was issued under the committee key" 0 "$reg" monitor "${R[@]}" --kid "$kid"
has "every certificate: 7 issued (4 + conversion + 2)" out.txt "^7 certificates issued under key $kid"
has "and the supersession of the converted one" out.txt "supersede  *certificate ${ids[0]}"
check "monitor --since past the end lists nothing new" 0 "$reg" monitor "${R[@]}" --kid "$kid" --since 1000
has "and says so" out.txt "^0 certificates issued"
"$reg" vkey "${R[@]}" > vkey.txt
has "vkey prints a signed-note verifier key" vkey.txt "^titlecert.invalid/register/GS+[0-9a-f]\{8\}+A"

# back-dating: a committee key revoked from 30 days ago signs today, with an issued_at before it
past=$(date -d "$today -60 days" +%F) void=$(date -d "$today -30 days" +%F)
"$keys" issuer-create --out thief --name 被盗密钥评委会 --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer thief.pub --from "$past" --to "$(date -d "$today +1 year" +%F)" \
  --region 62 --out thief.end "${P[@]}" >/dev/null
thief_kid=$("$keys" show thief.pub | grep -o '[0-9a-f]\{16\}' | head -1)
"$keys" revoke --root root.key --kid "$thief_kid" --date "$void" --reason 密钥泄露 --out thief.rev "${P[@]}" >/dev/null
# a retired key: its term ended 30 days ago
"$keys" issuer-create --out retired --name 已到期评委会 --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer retired.pub --from "$(date -d "$today -400 days" +%F)" \
  --to "$void" --region 62 --out retired.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 2 --out trust2.list ws.end thief.end thief.rev retired.end "${P[@]}" >/dev/null
backdate=$(( $(date -d "$today -31 days" +%s) + 43200 ))
sed "s/\"committee\": 101/\"committee\": 101, \"issued_at\": $backdate/; s/260001234/260009001/" \
  "$data/samples/gs-basic.json" > backdated.json
"$issuer" sign --key thief.key --claims backdated.json --out-dir stolen --base-url http://127.0.0.1:8080 "${P[@]}" >/dev/null 2>&1
"$issuer" sign --key retired.key --claims backdated.json --out-dir retired --base-url http://127.0.0.1:8080 "${P[@]}" >/dev/null 2>&1
T2=(--root root.pub --trust-list trust2.list)
check "publish with trust list v2 (the key events are register entries)" 0 "$issuer" publish "${D[@]}" \
  --key ws.key "${T2[@]}" --out pub
check "the hole: against the trust list alone, the back-dated certificate of the revoked key is valid" 0 \
  "$verifier" verify --root root.pub --trust-list trust2.list "$(cat stolen/260009001.txt)"
check "with the register (bundle): invalid" 1 "$verifier" verify --root root.pub --bundle pub/bundle.cbor \
  "$(cat stolen/260009001.txt)"
has "not_registered (rule A3)" out.txt '"code": *"not_registered"'
check "a retired key signing with an old issued_at: valid against the trust list alone" 0 \
  "$verifier" verify --root root.pub --trust-list trust2.list "$(cat retired/260009001.txt)"
check "and not_registered with the bundle" 1 "$verifier" verify --root root.pub --bundle pub/bundle.cbor \
  "$(cat retired/260009001.txt)"
has "not_registered" out.txt '"code": *"not_registered"'
check "a genuine certificate verifies through the register" 0 "$verifier" verify --root root.pub \
  --bundle pub/bundle.cbor "$(cat certs/${ids[1]}.txt)"
has "and the verdict names its register entry" out.txt '"entry": *3'

# consistency between checkpoints; a forked register is not consistent
cp pub/checkpoint cp-a
cp -r pub pub-a
cp gs.db before.db
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
check "publish after a revocation" 0 "$issuer" publish "${D[@]}" --key ws.key "${T2[@]}" --out pub
check "consistency: the newer checkpoint extends the older" 0 "$reg" consistency "${R[@]}" cp-a pub/checkpoint
has "it says so" out.txt "^consistent: [0-9]* -> [0-9]* entries"
check "audit after the revocation passes" 0 "$reg" audit "${R[@]}"
has "with the deltas and the head checked" out.txt "[0-9] deltas and the head checked"

flip() { python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[int(sys.argv[2])]^=1; open(p,'wb').write(b)" "$@"; }

# tampered stores (17.2, 17.3; each failed on the release before: publish signed them): one row
# inserted, one revocation undone by an UPDATE; publish refuses before it signs, naming the row
cp gs.db extra.db
sqlite3 extra.db "INSERT INTO certificates(id, holder, track, level, series, eval_year, obtained, payload, kid, issued_at, reg_leaf) SELECT 269999999, holder, track, level, series, eval_year, obtained, payload, kid, issued_at, 0 FROM certificates LIMIT 1"
check "17.3: publish refuses a store with a row the register never issued" 1 "$issuer" publish \
  --db extra.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-extra
has "naming the row" err.txt "certificate 269999999: its row is not what the register issued"
truth "and writes no bundle" [ ! -e pub-extra/bundle.cbor ]
cp gs.db dropped.db
sqlite3 dropped.db "UPDATE certificates SET status = 'valid', reason = NULL WHERE id = ${ids[2]}"
check "17.2: publish refuses a store whose revocation was undone by an UPDATE" 1 "$issuer" publish \
  --db dropped.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-dropped
has "naming the row and what the register says" err.txt "certificate ${ids[2]}: its row says 'valid', the register says revoked"
cp gs.db units.db
sqlite3 units.db "UPDATE units SET basic_flag = 1 WHERE uscc = '12620000438000456W'"
check "publish refuses a unit directory changed outside units import" 1 "$issuer" publish \
  --db units.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-units
has "saying so" err.txt "the unit directory differs from the one the register logged"
cp gs.db rewritten.db
sqlite3 rewritten.db "DROP TRIGGER register_no_update; UPDATE register SET hash = zeroblob(32) WHERE idx = 1"
check "publish refuses a register whose stored hash was changed" 1 "$issuer" publish \
  --db rewritten.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-rw
has "naming the entry" err.txt "register entry 1 was altered"

# the publication key's holder can still sign what it likes: the audit names it (17.1)
rm -rf pub-extra && cp -r pub pub-extra && "$forge" bundle root.pub ws.key pub/bundle.cbor pub-extra/bundle.cbor --add-index 269999999
check "audit of a bundle whose index lists a certificate the register never issued: fails" 1 \
  "$reg" audit --root root.pub --dir pub-extra
has "naming it" out.txt "certificate 269999999: in the bundle's index, but the register never issued it"
rm -rf pub-dropped && cp -r pub pub-dropped && "$forge" bundle root.pub ws.key pub/bundle.cbor pub-dropped/bundle.cbor --drop-revoked "${ids[2]}"
check "the dropped revocation's bundle still verifies for a verifier (its signature is genuine)" 0 \
  "$verifier" verify --root root.pub --bundle pub-dropped/bundle.cbor "$(cat certs/${ids[1]}.txt)"
check "but the audit fails" 1 "$reg" audit --root root.pub --dir pub-dropped
has "naming the revocation it dropped" out.txt "certificate ${ids[2]}: revoked in the register (fraud, $today), but the bundle does not list the revocation"

# 17.1: deltas signed with the publication key that do not say what the register says
v=$(sed -n 's/^version //p' pub/head)
rm -rf pub-fd && cp -r pub pub-fd
"$forge" delta root.pub ws.key pub pub-a/bundle.cbor pub-dropped/bundle.cbor "pub-fd/delta-$((v - 1)).cbor"
check "17.1: audit of a delta that leads to a bundle without the revocation: fails" 1 "$reg" audit --root root.pub --dir pub-fd
has "naming it" out.txt "delta-$((v - 1)).cbor: it names a bundle other than the one published"
has "and the head no longer names it" out.txt "head: the delta it names"
rm -rf pub-fe && cp -r pub pub-fe
last=$(( $(sed -n 2p pub/checkpoint) - 1 ))
"$forge" delta root.pub ws.key pub pub-a/bundle.cbor pub/bundle.cbor "pub-fe/delta-$((v - 1)).cbor" --drop-entry "$last"
check "17.1: audit of a delta that leaves the revocation's entry out: fails" 1 "$reg" audit --root root.pub --dir pub-fe
has "naming what differs" out.txt "delta-$((v - 1)).cbor: \(its frontier\|register entry\)"

# a flipped byte in any file of the current checkpoint: verify fails (partial tiles of earlier
# sizes stay for readers of older checkpoints; they are not the current one's)
size=$(sed -n 2p pub/checkpoint)
for t in $(cd pub && find tile -type f | sort); do
  case "$t" in *.p/*) [ "${t##*.p/}" = "$size" ] || continue ;; esac
  rm -rf pub-flip && cp -r pub pub-flip
  flip "pub-flip/$t" 5
  check "a flipped byte in $t: verify fails" 1 "$reg" verify --root root.pub --dir pub-flip
done
rm -rf pub-flip && cp -r pub pub-flip
# a byte inside entry 2, the issue entry of ids[0] (each entry: a 2-byte length, then the leaf)
off=$(python3 -c "import sys; b=open(sys.argv[1],'rb').read(); o=0
for _ in range(2): o += 2 + int.from_bytes(b[o:o+2], 'big')
print(o + 12)" "pub-flip/tile/entries/000.p/$size")
flip "pub-flip/tile/entries/000.p/$size" "$off"
check "a flipped byte in an entry: prove of a certificate in it fails" 1 "$reg" prove --root root.pub \
  --dir pub-flip "${ids[0]}"
check "and audit fails" 1 "$reg" audit --root root.pub --dir pub-flip

# the verifier: endpoints, and rollback and split views refused across restarts
rm -rf state
BUNDLE=pub/bundle.cbor start_server --register pub
truth "the verifier serves the register" [ -n "$server" ]
curl -s "$U/api/v1/register/checkpoint" > served.cp
truth "GET /api/v1/register/checkpoint is the published checkpoint" cmp -s served.cp pub/checkpoint
curl -s "$U/api/v1/register/proof/${ids[1]}" > proof.json
has "GET /api/v1/register/proof/ID: entry, tree size and proof" proof.json '"entry": *3,.*"tree_size": *[0-9]'
python3 - "$work/proof.json" > proof-check.txt <<'EOF'
import base64, hashlib, json, sys
p = json.load(open(sys.argv[1]))
h = hashlib.sha256(b"\x00" + base64.b64decode(p["leaf"])).digest()
i, n = p["entry"], p["tree_size"]
fn, sn, r = i, n - 1, h
for s in p["proof"]:
    s = base64.b64decode(s)
    if fn & 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + s + r).digest()
        while not fn & 1 and fn:
            fn >>= 1; sn >>= 1
    else:
        r = hashlib.sha256(b"\x01" + r + s).digest()
    fn >>= 1; sn >>= 1
root = p["checkpoint"].split("\n")[2]
print("verified" if sn == 0 and base64.b64encode(r).decode() == root else "FAILED")
EOF
has "and the proof checks with Python's hashlib against the checkpoint's root (RFC 9162 §2.1.3.2)" proof-check.txt "^verified$"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/register/proof/260009001")
truth "proof of an unregistered certificate: 404" [ "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/register/proof/12ab")
truth "a malformed id: 400" [ "$code" = 400 ]
curl -s "$U/metrics" > metrics.txt
has "/metrics reports the register size" metrics.txt "^titlecert_register_size [0-9]"
kill "$server"; wait "$server" 2>/dev/null; server=""
BUNDLE=pub-a/bundle.cbor start_server
truth "after a restart, the older bundle (smaller register) is refused" [ -z "$server" ]
has "saying it is older" server.err "older than one this verifier has accepted"
# a split view: a store copied before the revocation says something else at the same size
cp before.db split.db
sqlite3 split.db "UPDATE meta SET value = CAST(value AS INTEGER) + 5 WHERE key = 'bundle_version'"
"$issuer" revoke --db split.db --hash-key store.key "${P[@]}" --reason error "${ids[3]}" >/dev/null
"$issuer" publish --db split.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-split >/dev/null
BUNDLE=pub-split/bundle.cbor start_server
truth "a newer bundle whose register has another root at the accepted size is refused" [ -z "$server" ]
has "as a split view" server.err "split view"
# an honest extension whose bundle carries no proof from the accepted size
cp gs.db fork.db
sqlite3 fork.db "UPDATE meta SET value = CAST(value AS INTEGER) + 9 WHERE key = 'bundle_version'; DELETE FROM checkpoints"
"$issuer" revoke --db fork.db --hash-key store.key "${P[@]}" --reason error "${ids[3]}" >/dev/null
"$issuer" publish --db fork.db --hash-key store.key "${P[@]}" --key ws.key "${T2[@]}" --out pub-fork >/dev/null
BUNDLE=pub-fork/bundle.cbor start_server
truth "a newer bundle without a consistency proof from the accepted register is refused" [ -z "$server" ]
has "saying why and what would help" server.err "no consistency proof.*--register"
BUNDLE=pub-fork/bundle.cbor start_server --register pub
truth "with --register DIR of tiles that do not reach its size, still refused" [ -z "$server" ]
has "saying the tiles give none" server.err "published tiles do not give one"
BUNDLE=pub-fork/bundle.cbor start_server --register pub-fork
truth "with its own tiles the proof is computed, and the extension accepted" [ -n "$server" ]
[ -n "$server" ] && { kill "$server"; wait "$server" 2>/dev/null; server=""; }

# titlecert-register reads files only: it links nothing of the verifier service
ldd "$reg" > reg-ldd.txt 2>&1
ldd "$verifier" > ver-ldd.txt 2>&1
truth "titlecert-register links neither libmicrohttpd, libcurl nor libzbar" \
  bash -c '! grep -qE "libmicrohttpd|libcurl|libzbar" reg-ldd.txt'
truth "(the check can fail: the verifier links all three)" \
  bash -c 'grep -q libmicrohttpd ver-ldd.txt && grep -q libcurl ver-ldd.txt && grep -q libzbar ver-ldd.txt'
# 17.9: cells a spreadsheet would run as formulas are neutralised in the CSV (they were not)
{ head -1 "$data/samples/gs-results.csv"
  echo "吴敏,620102198801010023,WS-YL,=1+2,中级,province,review,2026,2026-10-25,2026-11,12620000438000456W,,,,101,甘卫高评〔2026〕6号"
  echo "郑洁,620102198701010034,WS-YL,@SUM(9),中级,province,review,2026,2026-10-25,2026-11,12620000438000456W,,,,101,甘卫高评〔2026〕6号"
} > batch3.csv
"$issuer" import "${D[@]}" --key ws.key "${T[@]}" batch3.csv >/dev/null
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 3 >/dev/null
has "17.9: a specialty starting with = is text in the CSV" pub/gongshi-3.csv "\"'=1+2\""
has "17.9: and one starting with @" pub/gongshi-3.csv "\"'@SUM(9)\""
truth "17.9: no cell of the CSV starts with a formula character" \
  python3 -c 'import csv, sys; rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig"))); sys.exit(any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for r in rows for c in r))' pub/gongshi-3.csv
has "while the JSON keeps the data exactly" pub/gongshi-3.json '"specialty":"=1+2"'
has "and so does the HTML" pub/gongshi-3.html "<td>=1+2</td>"
finish
