#!/usr/bin/env bash
# bench_http.sh - the verifier's POST /api/v1/verify against its baseline, measured in rounds that
# alternate the two on the same machine: a bare libmicrohttpd server doing one Ed25519 verify per
# request with a fixed 300-byte reply (bench/bare_server.c, the verifier's daemon options). On a
# shared 2-core machine absolute figures drift by tens of per cent between minutes, so no figure
# is compared with one taken at another time: each round runs the baseline and the verifier back
# to back (alternating which goes first), and every ratio is of the two halves of one round.
#
# wrk (Debian's, 2 threads, 32 connections) drives each; it shares the 2 cores with the server,
# so the server's CPU time per request (from /proc: user + system of all its threads, over the
# requests wrk counted) is printed beside the throughput. Prints min / median / max over the
# rounds of: req/s of each, CPU µs per request of each, and the per-round ratios
# (verifier/bare throughput, verifier/bare CPU per request). A ratio above 1 or below 0.5 says
# the machine was busy in a way the alternation did not cancel: run it again.
#
# usage: bench/bench_http.sh [SECONDS-PER-RUN [ROUNDS]]   (defaults 5 and 3; ROUNDS >= 3)
# BUILD=DIR picks the build directory (default build); PORT=N the first of two ports (default
# 18410; the bare server takes N+1).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-5} rounds=${2:-3}
[ "$rounds" -ge 3 ] || { echo "bench_http: at least 3 rounds" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench_http: wrk is needed (apt-get install wrk)" >&2; exit 2; }
build=${BUILD:-build}
keys=$(realpath "$build/keys/titlecert-keys") issuer=$(realpath "$build/issuer/cli/titlecert-issuer")
verifier=$(realpath "$build/verifier/titlecert-verifier") data=$(realpath data)
bare=$(realpath "$build/bench/bare_server")
export TITLECERT_WEB_DIR=$(realpath web) TITLECERT_PROFILES=$(realpath data/profiles)
. tests/tap.sh >/dev/null
. tests/gs_fixture.sh
work=$(mktemp -d)
vpid="" bpid=""
trap '[ -n "$vpid" ] && kill $vpid 2>/dev/null; [ -n "$bpid" ] && kill $bpid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
gs_fixture >/dev/null
vport=${PORT:-18410} bport=$((${PORT:-18410} + 1))
"$verifier" serve --bundle live.bundle --root root.pub --listen 127.0.0.1:$vport --state state \
  2>server.err & vpid=$!
"$bare" $bport & bpid=$!
for _ in $(seq 1 50); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$vport/healthz" && break
  sleep 0.1
done
curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$vport/healthz" ||
  { echo "bench_http: the verifier did not start:" >&2; cat server.err >&2; exit 1; }
payload=$(cat "certs/${ids[1]}.txt")
cat > post.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"payload":"$payload","unit":"12620102438000123H"}'
LUA
reply=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d "{\"payload\":\"$payload\",\"unit\":\"12620102438000123H\"}" "http://127.0.0.1:$vport/api/v1/verify")
case "$reply" in *'"verdict":"valid"'*) ;; *) echo "bench_http: unexpected reply: $reply" >&2; exit 1 ;; esac
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# one run: wrk against URL while PID serves it; prints "req/s cpu-us-per-request non2xx"
run() { # run PID URL
  local t0 t1 out
  t0=$(ticks "$1")
  out=$(wrk -t2 -c32 -d"${secs}s" -s post.lua "$2")
  t1=$(ticks "$1")
  awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '
    /Requests\/sec/ { rps = $2 } / requests in / { n = $1 } /Non-2xx/ { bad = $4 }
    END { printf "%.1f %.2f %d\n", rps, (t1 - t0) * 1e6 / hz / n, bad + 0 }' <<<"$out"
}

warm=$(run $vpid "http://127.0.0.1:$vport/api/v1/verify") # warms caches and the CPU clock; not counted
: > rounds.txt
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    b=$(run $bpid "http://127.0.0.1:$bport/"); v=$(run $vpid "http://127.0.0.1:$vport/api/v1/verify")
  else
    v=$(run $vpid "http://127.0.0.1:$vport/api/v1/verify"); b=$(run $bpid "http://127.0.0.1:$bport/")
  fi
  echo "$b $v" >> rounds.txt
  printf "  round %d: bare %8.0f req/s %6.1f us/req | verifier %8.0f req/s %6.1f us/req\n" "$r" \
    $(cut -d' ' -f1,2 <<<"$b") $(cut -d' ' -f1,2 <<<"$v") >&2
done

echo "titlecert verifier HTTP benchmark: POST /api/v1/verify with a unit, wrk -t2 -c32 ${secs}s"
echo "per run, $rounds rounds alternating a bare libmicrohttpd server (1 Ed25519 verify, 300-byte"
echo "reply) and the verifier; ratios are per round. Reply: ${#reply} bytes."
python3 - "$rounds" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open('rounds.txt')]
b_rps = [r[0] for r in rows]; b_cpu = [r[1] for r in rows]
v_rps = [r[3] for r in rows]; v_cpu = [r[4] for r in rows]
thr = [v / b for v, b in zip(v_rps, b_rps)]
cpu = [v / b for v, b in zip(v_cpu, b_cpu)]
def line(name, xs, fmt):
    print(f"  {name:<34}" + "  ".join(fmt.format(x) for x in (min(xs), statistics.median(xs), max(xs))))
print(f"  {'':<34}{'min':>10}  {'median':>10}  {'max':>10}")
line("bare req/s", b_rps, "{:10.0f}")
line("verifier req/s", v_rps, "{:10.0f}")
line("bare CPU per request (us)", b_cpu, "{:10.1f}")
line("verifier CPU per request (us)", v_cpu, "{:10.1f}")
line("throughput ratio verifier/bare", thr, "{:10.3f}")
line("CPU ratio verifier/bare", cpu, "{:10.3f}")
if any(x > 1 for x in thr) or any(x < 0.5 for x in thr):
    print("  note: a throughput ratio above 1 or below 0.5: the machine was busy; run it again")
PY
echo "  verifier resident memory: $(awk '/VmRSS/ {print $2, $3}' /proc/$vpid/status)"
non2xx=$(awk '{s += $3 + $6} END {print s + 0}' rounds.txt)
[ "$non2xx" = 0 ] || { echo "  non-2xx responses: $non2xx" >&2; exit 1; }
