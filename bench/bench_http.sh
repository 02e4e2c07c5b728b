#!/usr/bin/env bash
# bench_http.sh - the verifier's HTTP throughput against two ceilings measured in the same run:
# raw Ed25519 verify on 2 threads, and a bare libmicrohttpd server doing one verify per request
# with a fixed 300-byte reply (bench/bare_server.c). wrk (2 threads, 32 connections, bounded in
# time) drives POST /api/v1/verify on 127.0.0.1; the server's CPU time per request is reported
# because wrk shares the 2 cores.
# usage: bench/bench_http.sh [SECONDS]   (from the source tree, after a build in build/)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "bench_http: wrk is needed (apt-get install wrk)" >&2; exit 2; }
keys=$(realpath build/keys/titlecert-keys) issuer=$(realpath build/issuer/cli/titlecert-issuer)
verifier=$(realpath build/verifier/titlecert-verifier) data=$(realpath data)
raw=$(realpath build/bench/raw_verify) bare=$(realpath build/bench/bare_server)
export TITLECERT_WEB_DIR=$(realpath web)
. tests/tap.sh >/dev/null
. tests/gs_fixture.sh
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
gs_fixture
start_server
payload=$(cat "certs/${ids[1]}.txt")
cat > post.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"payload":"$payload","unit":"12620102438000123H"}'
LUA
ceiling=$("$raw" 2 3)
bport=$((port + 1))
"$bare" $bport & barepid=$!
sleep 0.3
bare_rps=$(wrk -t2 -c32 -d"${secs}s" -s post.lua "http://127.0.0.1:$bport/" | awk '/Requests\/sec/ {print $2}')
kill $barepid
ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
t0=$(ticks)
wrk -t2 -c32 -d"${secs}s" --latency -s post.lua "$U/api/v1/verify" > wrk.txt
t1=$(ticks)
rps=$(awk '/Requests\/sec/ {print $2}' wrk.txt)
reqs=$(awk '/requests in/ {print $1}' wrk.txt)
p99=$(awk '$1 == "99%" {print $2}' wrk.txt)
non2xx=$(awk '/Non-2xx/ {print $4}' wrk.txt)
hz=$(getconf CLK_TCK)
echo "titlecert verifier HTTP benchmark (wrk -t2 -c32 ${secs}s, POST /api/v1/verify with a unit)"
printf "  raw Ed25519 verify, 2 threads %10.0f /s\n" "$ceiling"
printf "  bare libmicrohttpd + 1 verify %10.0f /s   ratio %.3f of raw verify\n" "$bare_rps" \
  "$(echo "$bare_rps / $ceiling" | bc -l)"
printf "  verifier requests             %10.0f /s   ratio %.3f of raw verify (goal >= 0.5), %.3f of bare\n" \
  "$rps" "$(echo "$rps / $ceiling" | bc -l)" "$(echo "$rps / $bare_rps" | bc -l)"
echo "  latency p99                   ${p99}; non-2xx responses: ${non2xx:-0}"
printf "  server CPU per request        %10.1f us (wrk shares the 2 cores)\n" \
  "$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)"
echo "  server resident memory        $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
