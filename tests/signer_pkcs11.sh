#!/usr/bin/env bash
# signer_pkcs11.sh - titlecert-signer with its keys on a PKCS#11 token (Debian's SoftHSM2): the
# issuing and the publication key made on the token, their public halves endorsed; unlocking takes
# the token's PIN besides the store's passphrase; the signer signs an approved batch and
# publishes, and the certificates verify with the ordinary verifier. Prints TAP.
# usage: signer_pkcs11.sh KEYS ISSUER VERIFIER SIGNER REGISTER DATA_DIR MODULE
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") signer=$(realpath "$4")
register=$(realpath "$5") data=$(realpath "$6") module=$7
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/workflow_lib.sh"
work=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 2
if [ ! -e "$module" ] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
  echo "1..0 # SKIP SoftHSM2 or OpenSC is not installed"; exit 0
fi
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$work" > softhsm2.conf
export SOFTHSM2_CONF=$work/softhsm2.conf
export PIN='4711-0815-pin' PW='signer token test passphrase'
P=(--passphrase-env PW)
TOK=tc-signer
softhsm2-util --init-token --free --label "$TOK" --so-pin 'so-pin-1234' --pin "$PIN" >/dev/null 2>&1
T11=(--module "$module" --token-label "$TOK" --login --pin "$PIN")
check "the issuing key is made on the token" 0 pkcs11-tool "${T11[@]}" --keypairgen \
  --key-type EC:edwards25519 --label iss-2026 --id 01
check "and the publication key" 0 pkcs11-tool "${T11[@]}" --keypairgen \
  --key-type EC:edwards25519 --label pub-2026 --id 02
for k in iss pub; do
  "$keys" token-pub --module "$module" --token "$TOK" --kind issuer --name "token-$k" --key "$k-2026" \
    --out $k.pub --pin-env PIN >/dev/null 2>&1
done
. "$here/demo_today.sh" # today, from and to
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer iss.pub --from "$from" --to "$to" --region 62 \
  --tracks basic,province --out iss.end "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
  --tracks status,register --out pub.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list iss.end pub.end "${P[@]}" >/dev/null
truth "the token's public keys are endorsed" test -s trust.list
D=(--db gs.db --hash-key store.key "${P[@]}")
T=(--root root.pub --trust-list trust.list)
PREP=(--issuer-pub iss.pub "${T[@]}")
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" --demo >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null 2>&1
for k in employment assessments ce; do "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null 2>&1; done
wf_accounts
sock=$work/s.sock
S=(--socket "$sock")
export WF_CLOCK=$work/clock WF_SOCKET=$sock TITLECERT_DEMO_CLOCK=@$work/clock
echo 0 > "$WF_CLOCK"
"$signer" serve "${S[@]}" --db gs.db --hash-key store.key --pkcs11-module "$module" --token "$TOK" \
  --key-label iss-2026 --publication-label pub-2026 "${T[@]}" --publish-dir pubdir \
  --state signer.state --demo 2>signer.log &
spid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
b=$(wf_approved "$data/samples/gs-results.csv" 2026年第一批)
truth "a batch is prepared, publicised (the signer sees it) and approved" [ -n "$b" ]
printf '%s\n' "$PW" > pass.txt; printf '%s\n' "$PIN" > pin.txt; printf 'wrong-pin\n' > bad.pin
chmod 600 pass.txt pin.txt bad.pin
U=(signer unlock "${S[@]}" $(wf_as carol) --passphrase-file pass.txt --minutes 10)
check "without the token's PIN the unlock is refused" 1 "$issuer" "${U[@]}"
has "saying a PIN is required" err.txt "a PIN is required"
check "with a wrong PIN it is refused" 1 "$issuer" "${U[@]}" --pin-file bad.pin
has "naming the PIN" err.txt "PIN"
check "with the PIN the custodian unlocks it" 0 "$issuer" "${U[@]}" --pin-file pin.txt
check "status names the token backend" 0 "$issuer" signer status "${S[@]}"
has "pkcs11" out.txt '"backend":"pkcs11"'
check "the token signs the approved batch" 0 "$issuer" batch sign "$b" "${S[@]}" $(wf_as carol)
has "four certificates" out.txt '"signed":4'
check "and the publication, with the token's publication key" 0 "$issuer" signer publish "${S[@]}" $(wf_as carol)
ib=$("$issuer" batch status "$b" "${D[@]}" 2>/dev/null | sed -n 's/.*issue batch \([0-9]*\).*/\1/p')
"$issuer" render "${D[@]}" --out-dir certs --base-url http://127.0.0.1:8080 --batch "$ib" >/dev/null 2>&1
ok=0
for f in certs/*.txt; do
  "$verifier" verify --root root.pub --bundle pubdir/bundle.cbor "$(cat "$f")" > v.txt 2>&1 && ok=$((ok + 1))
done
truth "the token-signed certificates verify with the ordinary verifier: 4 of 4" [ "$ok" = 4 ]
check "the register's auditor accepts the token-signed publication" 0 "$register" audit --root root.pub --dir pubdir
kill "$spid"; wait "$spid" 2>/dev/null; spid=
has "the signer locked and stopped on SIGTERM" signer.log "stopped"
finish
