#!/usr/bin/env bash
# bench_memory.sh - the verifier's resident memory and load time with a bundle describing CERTS
# certificates (all listed: revoked or superseded) and UNITS units, written by the real export.
# usage: bench/bench_memory.sh [CERTS] [UNITS]   (defaults 1000000 100000; after a build in build/)
set -eu
cd "$(dirname "$0")/.."
certs=${1:-1000000} units=${2:-100000}
gen=$(realpath build/bench/bundle_gen) verifier=$(realpath build/verifier/titlecert-verifier)
export TC_PROFILE_GS=$(realpath data/profiles/GS.json) TITLECERT_WEB_DIR=$(realpath web)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
bytes=$("$gen" "$work" "$certs" "$units")
port=$((20000 + RANDOM % 20000))
t0=$(date +%s.%N)
"$verifier" serve --bundle "$work/big.bundle" --root "$work/root.pub" --listen 127.0.0.1:$port \
  --state "$work/state" --access-log /dev/null 2>/dev/null &
pid=$!
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
t1=$(date +%s.%N)
echo "titlecert verifier memory: bundle with $certs certificates (all revoked or superseded) and $units units"
printf "  bundle file                   %8.1f MiB\n" "$(echo "$bytes / 1048576" | bc -l)"
printf "  load and verify at start      %8.2f s\n" "$(echo "$t1 - $t0" | bc -l)"
echo "  resident memory, serving      $(awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' /proc/$pid/status)"
echo "  peak during load              $(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' /proc/$pid/status)"
curl -s --max-time 5 "http://127.0.0.1:$port/healthz"; echo
