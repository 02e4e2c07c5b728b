#!/usr/bin/env bash
# cli_verify.sh - issue with titlecert-issuer, verify with titlecert-verifier, from the command
# line: valid certificates verify from payload, link and PNG; forgeries and certificates outside
# the key's endorsement (A1) or after its revocation (A2) do not. Also checks that the verifier
# binary contains no code that can open a secret key or use a token. Prints TAP.
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") samples=$(realpath "$4")
. "$(dirname "$(realpath "$0")")/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export PW='cli verify passphrase'
P=(--passphrase-env PW)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name 卫生评委会 --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out rogue --name 未背书 --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from 2026-01-01 --to 2028-12-31 --region 62 \
  --tracks basic --series WS-YL,WS-HL --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
sed 's/"committee": 101/"committee": 101, "issued_at": 1795000000/' "$samples/gs-basic.json" > basic.json
sed 's/"committee": 101/"committee": 101, "issued_at": 1795000000/' "$samples/gs-province.json" > province.json
T=(--root root.pub --trust-list trust.list)
S=(--out-dir certs --base-url http://127.0.0.1:8080 "${T[@]}" "${P[@]}")

check "issue a basic-level certificate" 0 "$issuer" sign --key ws.key --claims basic.json "${S[@]}"
has "its QR fits version 10 at ECC M" out.txt "QR version \(10\|[1-9]\) at ECC M"
check "A1: a basic-level-only key refuses a province-wide title" 1 "$issuer" sign --key ws.key --claims province.json "${S[@]}"
has "naming rule A1" err.txt "A1"
n=$((n + 1)); if [ -e certs/260001235.png ]; then echo "not ok $n - a refused certificate left files"; failed=$((failed+1)); else echo "ok $n - a refused certificate writes nothing"; fi
sed 's/"specialty": "内科学"/"specialty": "内科\\u0007学"/' basic.json > ctl.json
check "a control character in a claim is refused" 2 "$issuer" sign --key ws.key --claims ctl.json "${S[@]}"
has "and the claim is named" err.txt "specialty"
sed 's/620102198503121534/620102198503121535/' basic.json > badid.json
check "an ID number with a wrong check digit is refused (GB 11643)" 2 "$issuer" sign --key ws.key --claims badid.json "${S[@]}"
n=$((n + 1)); if grep -rq 620102198503121534 certs; then echo "not ok $n - the full ID number was written"; failed=$((failed+1)); else echo "ok $n - the full ID number is in no output file"; fi

check "verify the payload" 0 "$verifier" verify "${T[@]}" "$(cat certs/260001234.txt)"
has "verdict valid" out.txt '"verdict": "valid"'
has "scope not checked without a unit (S1)" out.txt '"scope_not_checked"'
has "the ID number only masked" out.txt '"id_number_masked": "\*\*\*\*\*\*\*\*\*\*\*\*\*\*1534"'
check "verify the link" 0 "$verifier" verify "${T[@]}" "$(cat certs/260001234.link)"
check "verify the PNG" 0 "$verifier" verify "${T[@]}" --image certs/260001234.png
echo -n "$(cat certs/260001234.txt)" > payload.txt
check "verify from standard input" 0 sh -c "\"$verifier\" verify --root root.pub --trust-list trust.list - < payload.txt"

# change one digit in the middle of the signature part (always a real change)
tampered=$(awk '{ d = substr($0, 300, 1); printf "%s%d%s\n", substr($0, 1, 299), (d + 1) % 10, substr($0, 301) }' certs/260001234.txt)
check "a tampered payload is not valid (exit 1)" 1 "$verifier" verify "${T[@]}" "$tampered"
has "verdict invalid" out.txt '"verdict": "invalid"'
check "a garbage payload is not valid" 1 "$verifier" verify "${T[@]}" "TC1:123456"
has "reason malformed" out.txt '"code": "malformed"'
check "sign with the unendorsed key (no trust check)" 0 "$issuer" sign --key rogue.key --claims basic.json --out-dir rogue --base-url http://127.0.0.1:8080 "${P[@]}"
check "a certificate from an unendorsed key is invalid" 1 "$verifier" verify "${T[@]}" "$(cat rogue/260001234.txt)"
has "reason unknown_issuer (A1)" out.txt '"unknown_issuer"'

"$keys" revoke --root root.key --kid "$("$keys" show ws.pub | awk 'NR==1{print $4}')" --date 2026-11-01 --reason 泄露 --out ws.rev "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 2 --out trust2.list ws.end ws.rev "${P[@]}" >/dev/null
check "A2: after the key's revocation the certificate is invalid" 1 "$verifier" verify --root root.pub --trust-list trust2.list "$(cat certs/260001234.txt)"
has "reason issuer_key_revoked" out.txt '"issuer_key_revoked"'
check "a trust list from another root is refused" 2 "$verifier" verify --root rogue.pub --trust-list trust.list "$(cat certs/260001234.txt)"
printf 'not an image' > x.png
check "a file that is not a PNG is a usage error" 2 "$verifier" verify "${T[@]}" --image x.png
check "verify --help" 0 "$verifier" verify --help

n=$((n + 1))
if nm "$verifier" | grep -qE 'tc_keys_secret|tc_keys_pkcs11|crypto_pwhash|crypto_aead_xchacha20poly1305'; then
  echo "not ok $n - the verifier binary links secret-key or token code"; failed=$((failed+1))
else echo "ok $n - the verifier binary holds no secret-key or token code"; fi
n=$((n + 1))
if nm "$issuer" | grep -q tc_keys_secret_open && nm "$issuer" | grep -q tc_keys_pkcs11_open; then
  echo "ok $n - (the check can fail: the issuer has both)"; else
  echo "not ok $n - nm found no secret-key or token code in the issuer either"; failed=$((failed+1)); fi
finish
