#!/usr/bin/env bash
# secrets_core.sh - no passphrase in a core of a program that holds keys (17.10). The issuer is
# stopped inside its signing (a breakpoint at tc_issue_commit, after the issuer key and the hash
# key were opened with a passphrase from --passphrase-env) and its whole memory written out with
# gdb's gcore, as a crash handler or an attacker with the machine would; the passphrase must not be
# in it, nor in its environment. The process also turned its own core dumps off: its RLIMIT_CORE
# is 0 and it is not dumpable. (Where core_pattern is a pipe the kernel's dumps cannot be read
# here; gcore shows what any dump would hold.)
# Prints TAP. usage: secrets_core.sh KEYS ISSUER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") data=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
command -v gdb >/dev/null || { echo "not ok 1 - gdb is missing (scripts/deps.sh test installs it)"; echo "1..1"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
secret="core-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PW="$secret"
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name ws --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
D=(--db gs.db --hash-key store.key "${P[@]}")
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null
# a marker the process holds that is not secret: the check finds what is there
marker="core-mark-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TC_CORE_MARKER="$marker"
timeout 120 gdb -q -batch -ex 'set breakpoint pending on' -ex 'break tc_issue_commit' -ex run \
  -ex 'gcore issuer.core' -ex 'info proc' -ex kill \
  --args "$issuer" import "${D[@]}" --key ws.key --root root.pub --trust-list trust.list \
  "$data/samples/gs-results.csv" > gdb.txt 2>&1
truth "gdb stopped the issuer inside tc_issue_commit, with both keys open, and wrote its core" \
  [ -s issuer.core ]
grep -q 'Breakpoint 1, .*tc_issue_commit' gdb.txt || sed 's/^/# /' gdb.txt | tail -20
truth "(the check can fail: the core holds another string from the environment)" \
  grep -qa "$marker" issuer.core
truth "17.10: the passphrase is nowhere in the core (it was, from the environment)" \
  bash -c '! grep -qa "$0" issuer.core' "$secret"
# the hardening the program applies to itself: read from /proc while it waits for a passphrase
mkfifo -m 600 pass.fifo
"$issuer" audit verify --db gs.db --hash-key store.key --passphrase-file pass.fifo >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -r /proc/$pid/limits ] && grep -q 'Max core file size' /proc/$pid/limits && break; sleep 0.05; done
sleep 0.2
truth "17.10: its core file size limit is 0" grep -qE '^Max core file size +0 +0' /proc/$pid/limits
# in a process of its own, bounded: a reader gone before the write would stop this script with
# SIGPIPE, and one gone before the open would block it
timeout 5 bash -c 'printf "%s\n" "$0" > pass.fifo' "$secret" 2>/dev/null || true
kill $pid 2>/dev/null
wait $pid 2>/dev/null
finish
