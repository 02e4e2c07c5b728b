#!/usr/bin/env bash
# cli_keys.sh - titlecert-keys from the command line, as an HR department would run it: the root
# ceremony, endorsement (A1), revocation (A2), trust list, and the refusals that must happen:
# forged or altered files, wrong passphrases, readable key files, terms over 3 years. Prints TAP.
set -u
keys=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export TC_PW='cli test passphrase'
P=(--passphrase-env TC_PW --kdf interactive)
Q=(--passphrase-env TC_PW)

check "--help lists the commands" 0 "$keys" --help
has "help names endorse" out.txt "endorse"
check "an unknown command is a usage error" 2 "$keys" frobnicate
check "root-create" 0 "$keys" root-create --out root --name 甘肃省人社厅 "${P[@]}"
check "issuer-create" 0 "$keys" issuer-create --out iss --name 甘肃省卫生高级评委会 "${P[@]}"
check "a second root-create never overwrites" 2 "$keys" root-create --out root --name x "${P[@]}"
has "and says the file exists" err.txt "refusing to overwrite"
n=$((n + 1)); [ "$(stat -c %a root.key)" = 600 ] && echo "ok $n - root.key is 0600" || { echo "not ok $n - root.key mode $(stat -c %a root.key)"; failed=$((failed+1)); }
check "a short passphrase is refused" 2 env TC_PW=short "$keys" issuer-create --out x --name x --passphrase-env TC_PW --kdf interactive
check "show a secret key without its passphrase" 0 "$keys" show root.key
has "show does not print the secret" out.txt "encrypted"
kid=$("$keys" show iss.pub | awk 'NR==1{print $4}')
check "endorse for exactly 3 years (A1)" 0 "$keys" endorse --root root.key --issuer iss.pub --from 2026-01-01 --to 2028-12-31 --region 62 --series WS-YL --levels 1-3 --out iss.end "${Q[@]}"
check "endorse for 3 years and a day is refused (A1)" 2 "$keys" endorse --root root.key --issuer iss.pub --from 2026-01-01 --to 2029-01-01 --region 62 --out long.end "${Q[@]}"
has "naming rule A1" err.txt "A1"
check "a bad --levels is a usage error" 2 "$keys" endorse --root root.key --issuer iss.pub --from 2026-01-01 --to 2027-01-01 --region 62 --levels 0-9 --out x.end "${Q[@]}"
check "a wrong passphrase is refused" 2 env TC_PW=not-the-passphrase "$keys" revoke --root root.key --kid "$kid" --date 2027-06-01 --reason x --out x.rev --passphrase-env TC_PW
has "with a clear message" err.txt "wrong passphrase"
check "revoke (A2)" 0 "$keys" revoke --root root.key --kid "$kid" --date 2027-06-01 --reason 密钥泄露 --out iss.rev "${Q[@]}"
check "trust-list" 0 "$keys" trust-list --root root.key --version 1 --out trust.list iss.end iss.rev "${Q[@]}"
check "trust-list --version 4294967295, the highest, is taken" 0 "$keys" trust-list --root root.key \
  --version 4294967295 --out high.list iss.end "${Q[@]}"
check "show the trust list verified" 0 "$keys" show trust.list --root root.pub
has "it lists the revocation" out.txt "revoked key $kid from 2027-06-01"
for v in 18446744073709551616 18446744073709551615 4294967296 -1 +2 " 2" 0x10; do
  check "trust-list --version '$v' is a usage error, not a version strtoull would clamp or negate" 2 \
    "$keys" trust-list --root root.key --version "$v" --out never.list iss.end "${Q[@]}"
  has "  saying what --version takes" err.txt "takes a positive integer"
done
truth "and no list was written" [ ! -e never.list ]
check "an unquoted reason is refused, not signed as its first word" 2 "$keys" revoke --root root.key \
  --kid "$kid" --date 2027-06-01 --reason key compromised --out cut.rev "${Q[@]}"
truth "and nothing is written" [ ! -e cut.rev ]
touch taken.pub
check "a create whose .pub is in the way fails" 2 "$keys" issuer-create --out taken --name x "${P[@]}"
truth "before its .key is written" [ ! -e taken.key ]

cp trust.list forged.list
# one bit of byte 70 flipped (a 0 written there would change nothing where the byte is 0)
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[70] ^= 1; open(sys.argv[1], "wb").write(b)' forged.list
check "an altered trust list fails verification (exit 1)" 1 "$keys" show forged.list --root root.pub
check "a second root" 0 "$keys" root-create --out other --name 冒充 "${P[@]}"
check "a trust list checked against another root fails" 1 "$keys" show trust.list --root other.pub
check "an endorsement by another root is not accepted into the list" 2 "$keys" trust-list --root other.key --version 2 --out t2.list iss.end "${Q[@]}"
chmod 640 root.key
check "a group-readable root key is refused" 2 "$keys" revoke --root root.key --kid "$kid" --date 2027-06-01 --reason x --out y.rev "${Q[@]}"
has "with the chmod hint" err.txt "chmod 600"
chmod 600 root.key
head -c 100 root.key > cut.key; chmod 600 cut.key
check "a truncated key file is refused" 2 "$keys" revoke --root cut.key --kid "$kid" --date 2027-06-01 --reason x --out z.rev "${Q[@]}"
# the no-echo prompt, through a real pseudo-terminal (script); the prompt discards typed-ahead
# input (TCSAFLUSH), so each answer is typed after a pause
if command -v script >/dev/null; then
  typed() { (sleep 1; printf '%s\n' "$1"; sleep 1; printf '%s\n' "$2"; sleep 1) |
    timeout 30 script -qec "$keys root-create --out $3 --name prompted --kdf interactive" /dev/null; }
  typed 'typed at the prompt 1' 'typed at the prompt 1' prompted > tty.txt 2>&1
  truth "a root key created at the terminal prompt" [ -f prompted.key ]
  has "the prompt asks twice" tty.txt "Repeat the passphrase"
  truth "the passphrase is not echoed" sh -c "! grep -q 'typed at the prompt' tty.txt"
  check "and it is the one that opens the key" 0 env TC_PW='typed at the prompt 1' "$keys" revoke --root prompted.key --kid 0011223344556677 --date 2027-01-01 --reason x --out p.rev --passphrase-env TC_PW
  typed 'typed at the prompt 1' 'typed at the prompt 2' differ > tty2.txt 2>&1
  truth "two different answers create nothing" [ ! -f differ.key ]
  has "and say so" tty2.txt "passphrases differ"
fi
n=$((n + 1))
if grep -rq "$TC_PW" . ; then echo "not ok $n - the passphrase appears in a file"; failed=$((failed+1)); else echo "ok $n - no file holds the passphrase"; fi
finish
