#!/usr/bin/env bash
# keys_pkcs11.sh - an issuer key on a PKCS#11 token (SoftHSM2), as a department would use one: the
# key pair is made with the token's own tools (pkcs11-tool), titlecert-keys token-pub exports its
# public half, the root endorses it, titlecert-issuer signs a certificate through the token and
# titlecert-verifier finds it valid. Refusals that must happen: a wrong PIN (said as such), a key
# or token that is not there (named), a P-256 key, a module that does not load, and a module whose
# signatures do not verify. Prints TAP.
# Arguments: titlecert-keys titlecert-issuer titlecert-verifier SAMPLES-DIR CORRUPT-MODULE MODULE
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") samples=$(realpath "$4")
corrupt=$(realpath "$5") module=$6
. "$(dirname "$(realpath "$0")")/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

# a token of our own: SoftHSM2 keeps its tokens where its configuration file says
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$work" > softhsm2.conf
export SOFTHSM2_CONF=$work/softhsm2.conf
export PIN='4711-0815-pin' PW='token test root passphrase'
TOK=tc-committee
softhsm2-util --init-token --free --label "$TOK" --so-pin 'so-pin-1234' --pin "$PIN" > init.txt 2>&1
truth "softhsm2-util makes a token" grep -q "reassigned to slot" init.txt
slot=$(sed -n 's/.*reassigned to slot \([0-9]*\).*/\1/p' init.txt)
T11=(--module "$module" --token-label "$TOK" --login --pin "$PIN")
check "pkcs11-tool makes an Ed25519 key pair on it" 0 pkcs11-tool "${T11[@]}" --keypairgen \
  --key-type EC:edwards25519 --label iss-2026 --id 01
check "and a P-256 key pair" 0 pkcs11-tool "${T11[@]}" --keypairgen --key-type EC:prime256v1 \
  --label p256 --id 02
pkcs11-tool "${T11[@]}" --list-objects --type pubkey > objects.txt 2>&1
# SoftHSM2 names the curve with a PrintableString, not the OID 1.3.101.112
has "SoftHSM2's EC_PARAMS: the PrintableString edwards25519" objects.txt \
  "EC_PARAMS: *130c656477617264733235353139"
token_pk=$(grep -m1 "EC_POINT: *0420" objects.txt | sed 's/.*EC_POINT: *0420\([0-9a-f]*\).*/\1/')
truth "and its EC_POINT: an OCTET STRING of 32 bytes (04 20 ...)" test "${#token_pk}" = 64

check "--help lists token-pub" 0 "$keys" --help
has "with its purpose" out.txt "token-pub"
check "token-pub --help" 0 "$keys" token-pub --help
check "token-pub needs --token or --slot" 2 "$keys" token-pub --module "$module" --key iss-2026 \
  --name x --kind issuer --out x.pub --pin-env PIN
TP=(--module "$module" --token "$TOK" --kind issuer --name 甘肃省卫生高级评委会)
check "token-pub exports the token key's public half" 0 "$keys" token-pub "${TP[@]}" \
  --key iss-2026 --out iss.pub --pin-env PIN
has "after a verified self-test signature" out.txt "self-test signature verified"
"$keys" show iss.pub > show.txt
has "the public-key file holds the token's EC_POINT" show.txt "public key: $token_pk"
printf '%s\n' "$PIN" > pin.txt; chmod 600 pin.txt
check "the PIN from a file, the key by CKA_ID and the token by slot" 0 "$keys" token-pub \
  --module "$module" --slot "$slot" --key-id 01 --kind issuer --name 甘肃省卫生高级评委会 \
  --out iss-by-id.pub --pin-file pin.txt
truth "give the same public-key file" cmp -s iss.pub iss-by-id.pub
rm -f pin.txt

"$keys" root-create --out root --name 甘肃省人社厅 --kdf interactive --passphrase-env PW >/dev/null
check "the root endorses the token key" 0 "$keys" endorse --root root.key --issuer iss.pub \
  --from 2026-01-01 --to 2028-12-31 --region 62 --tracks basic --series WS-YL,WS-HL \
  --out iss.end --passphrase-env PW
"$keys" trust-list --root root.key --version 1 --out trust.list iss.end --passphrase-env PW >/dev/null
sed 's/"committee": 101/"committee": 101, "issued_at": 1795000000/' "$samples/gs-basic.json" > basic.json
sed 's/"committee": 101/"committee": 101, "issued_at": 1795000000/' "$samples/gs-province.json" > province.json
V=(--root root.pub --trust-list trust.list)
S=(--out-dir certs --base-url http://127.0.0.1:8080 "${V[@]}")
ST=(--pkcs11-module "$module" --token "$TOK" --key-label iss-2026 --pin-env PIN)
check "titlecert-issuer signs a certificate through the token" 0 "$issuer" sign "${ST[@]}" \
  --claims basic.json "${S[@]}"
check "titlecert-verifier verify: the certificate" 0 "$verifier" verify "${V[@]}" \
  "$(cat certs/260001234.txt)"
has "is valid" out.txt '"verdict": "valid"'
check "A1 holds for a token key too: a province-wide title is refused" 1 "$issuer" sign "${ST[@]}" \
  --claims province.json "${S[@]}"
has "naming rule A1" err.txt "A1"

check "a wrong PIN is refused (token-pub)" 2 env PIN=not-the-pin "$keys" token-pub "${TP[@]}" \
  --key iss-2026 --out wrong.pub --pin-env PIN
has "as a wrong PIN" err.txt "wrong PIN"
has "with the token's answer" err.txt "C_Login: CKR_PIN_INCORRECT"
check "a wrong PIN is refused (sign)" 2 env PIN=not-the-pin "$issuer" sign "${ST[@]}" \
  --claims basic.json --out-dir wrong "${V[@]}" --base-url http://127.0.0.1:8080
has "as a wrong PIN" err.txt "token $TOK: wrong PIN"
truth "and writes nothing" test ! -e wrong.pub -a ! -e wrong
check "a missing key label is refused (token-pub)" 2 "$keys" token-pub "${TP[@]}" --key no-such-key \
  --out none.pub --pin-env PIN
has "naming it" err.txt "no private key labelled 'no-such-key'"
check "a missing key label is refused (sign)" 2 "$issuer" sign --pkcs11-module "$module" \
  --token "$TOK" --key-label no-such-key --pin-env PIN --claims basic.json --out-dir none \
  --base-url http://127.0.0.1:8080
has "naming it" err.txt "no private key labelled 'no-such-key'"
check "a missing token is refused" 2 "$keys" token-pub --module "$module" --token no-such-token \
  --key iss-2026 --kind issuer --name x --out none.pub --pin-env PIN
has "naming it" err.txt "no token labelled 'no-such-token'"
check "a P-256 key is refused" 2 "$keys" token-pub "${TP[@]}" --key p256 --out p256.pub --pin-env PIN
has "as not Ed25519" err.txt "not an Ed25519 key"
check "a module that does not load is refused" 2 "$keys" token-pub --module "$work/none.so" \
  --token "$TOK" --key iss-2026 --kind issuer --name x --out none.pub --pin-env PIN
has "saying so" err.txt "cannot load the module"
export TC_P11_REAL_MODULE=$module
check "a module whose signatures do not verify is refused (token-pub)" 2 "$keys" token-pub \
  --module "$corrupt" --token "$TOK" --key iss-2026 --kind issuer --name x --out bad.pub \
  --pin-env PIN
has "saying so" err.txt "signature does not verify"
check "and cannot sign a certificate" 2 "$issuer" sign --pkcs11-module "$corrupt" --token "$TOK" \
  --key-label iss-2026 --pin-env PIN --claims basic.json --out-dir bad \
  --base-url http://127.0.0.1:8080
truth "which writes nothing" test ! -e bad.pub -a ! -e bad
n=$((n + 1))
if grep -rqF --exclude-dir=tokens -e "$PIN" . ; then echo "not ok $n - the PIN appears in a file"
  failed=$((failed + 1)); else echo "ok $n - no file holds the PIN"; fi
finish
