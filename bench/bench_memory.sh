#!/usr/bin/env bash
# bench_memory.sh - the verifier's resident memory and load time with a bundle whose register
# index holds 2 x CERTS certificates, CERTS of them revoked or superseded (listed), and UNITS
# units, written by the real export; and the time `publish` takes to write the register's tiles
# (3 x CERTS leaves) and to publish again after 10^4 more.
# usage: bench/bench_memory.sh [CERTS] [UNITS]   (defaults 1000000 100000; after a build in build/)
set -eu
cd "$(dirname "$0")/.."
certs=${1:-1000000} units=${2:-100000}
gen=$(realpath build/bench/bundle_gen) verifier=$(realpath build/verifier/titlecert-verifier)
export TC_PROFILE_GS=$(realpath data/profiles/GS.json) TITLECERT_WEB_DIR=$(realpath web)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
"$gen" "$work" "$certs" "$units" > "$work/gen.txt"
bytes=$(sed -n 1p "$work/gen.txt")
read -r _ big_s big_n big_files < <(sed -n 2p "$work/gen.txt")
read -r _ delta_b delta_full < <(sed -n 3p "$work/gen.txt")
read -r _ bapp_s bapp_n bapp_files < <(sed -n 4p "$work/gen.txt")
# the register figures at the goal's size, 10^6 leaves: 333,334 certificates give 3 leaves each
mkdir "$work/reg"
"$gen" "$work/reg" 333334 10 > "$work/reg.txt"
read -r _ pub_s pub_n pub_files < <(sed -n 2p "$work/reg.txt")
read -r _ app_s app_n app_files < <(sed -n 4p "$work/reg.txt")
rm -rf "$work/reg"
port=$((20000 + RANDOM % 20000))
t0=$(date +%s.%N)
"$verifier" serve --bundle "$work/big.bundle" --root "$work/root.pub" --listen 127.0.0.1:$port \
  --state "$work/state" --access-log /dev/null 2>/dev/null &
pid=$!
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
t1=$(date +%s.%N)
echo "titlecert verifier memory: bundle indexing $((2 * certs)) registered certificates, $certs of them revoked or superseded, and $units units"
printf "  bundle file                   %8.1f MiB\n" "$(echo "$bytes / 1048576" | bc -l)"
printf "  load and verify at start      %8.2f s\n" "$(echo "$t1 - $t0" | bc -l)"
echo "  resident memory, serving      $(awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' /proc/$pid/status)"
echo "  peak during load              $(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' /proc/$pid/status)"
curl -s --max-time 5 "http://127.0.0.1:$port/healthz"; echo
echo "register publication (titlecert-issuer publish's tile writer, from the store):"
printf "  all tiles of %d leaves        %6.2f s  (%d files; goal <= 10 s)\n" "$pub_n" "$pub_s" "$pub_files"
printf "  then 10^4 more (%d)      %6.2f s  (%d files written; goal <= 1 s)\n" "$app_n" "$app_s" "$app_files"
printf "  all tiles of %d leaves        %6.2f s  (%d files; the bundle above)\n" "$big_n" "$big_s" "$big_files"
printf "  then 10^4 more (%d)      %6.2f s  (%d files written)\n" "$bapp_n" "$bapp_s" "$bapp_files"
echo "  published directory           $(du -sh "$work/pub" | cut -f1) for $big_n leaves"
echo "bytes a replica fetches for one published revocation (serve --source):"
printf "  signed delta                  %8d bytes (goal <= 64 KiB), instead of the %.1f MiB bundle\n" "$delta_b" "$(echo "$delta_full / 1048576" | bc -l)"
