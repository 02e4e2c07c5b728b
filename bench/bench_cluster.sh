#!/usr/bin/env bash
# bench_cluster.sh - figures for the scale-out (docs/deploy/scale-out.md): requests per second
# through nginx to 1 and to 3 verifier replicas (--source, following the publication nginx
# serves), with the CPU time per request of the replicas and of nginx; the time from publishing
# a revocation to the last replica's first `revoked`; the bytes each replica fetched for it.
# This machine has 2 cores: 3 replicas cannot add throughput here (see the guide).
# usage: bench/bench_cluster.sh [SECONDS]   (after a build in build/; needs wrk and nginx)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "bench_cluster: wrk is needed (apt-get install wrk)" >&2; exit 2; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
keys=$(realpath build/keys/titlecert-keys) issuer=$(realpath build/issuer/cli/titlecert-issuer)
verifier=$(realpath build/verifier/titlecert-verifier) data=$(realpath data)
export TITLECERT_WEB_DIR=$(realpath web) TITLECERT_PROFILES=$(realpath data/profiles)
. tests/tap.sh >/dev/null
. tests/gs_fixture.sh
work=$(mktemp -d)
pids=() ngx=""
trap 'for p in "${pids[@]}"; do kill -9 $p 2>/dev/null; done; [ -n "$ngx" ] && kill $ngx; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
gs_fixture >/dev/null
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 1 >/dev/null
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }; done; }
ports=($(free_port) $(free_port) $(free_port)) np=$(free_port)
mkdir -p tmp logs
nginx_conf() { # nginx_conf REPLICAS
  { echo "$( [ "$(id -u)" = 0 ] && echo 'user root;')"
    echo "worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $work/tmp/b; proxy_temp_path $work/tmp/p;"
    echo "  fastcgi_temp_path $work/tmp/f; uwsgi_temp_path $work/tmp/u; scgi_temp_path $work/tmp/s;"
    echo "  upstream verifiers {"
    for k in $(seq 0 $(($1 - 1))); do echo "    server 127.0.0.1:${ports[$k]} max_fails=1 fail_timeout=3s;"; done
    echo "    keepalive 32; }"
    echo "  server { listen 127.0.0.1:$np; location /pub/ { alias $work/pub/; }"
    echo "    location / { proxy_pass http://verifiers; proxy_http_version 1.1; proxy_set_header Connection \"\";"
    echo "      proxy_set_header X-Real-IP \$remote_addr; proxy_next_upstream error timeout http_502 http_503 non_idempotent; } } }"
  } > nginx.conf
}
start_nginx() {
  [ -n "$ngx" ] && { kill "$ngx"; wait "$ngx" 2>/dev/null || true; }
  "$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -g 'daemon off;' & ngx=$!
  for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$np/pub/head" && return; sleep 0.1; done
}
N=http://127.0.0.1:$np
nginx_conf 3
start_nginx
for k in 0 1 2; do
  "$verifier" serve --source "$N/pub" --poll 0.5 --root root.pub --listen 127.0.0.1:${ports[$k]} \
    --state "state$k" --trusted-proxy 127.0.0.1 --access-log /dev/null 2>"replica$k.log" &
  pids[$k]=$!
done
for k in 0 1 2; do
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:${ports[$k]}/healthz" && break; sleep 0.1; done
done
payload=$(cat "certs/${ids[1]}.txt")
cat > post.lua <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"payload":"$payload","unit":"12620102438000123H"}'
LUA
hz=$(getconf CLK_TCK)
ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
nginx_pids() { echo "$ngx $(pgrep -P "$ngx" | tr '\n' ' ')"; }
measure() { # measure REPLICAS
  nginx_conf "$1"; start_nginx
  local reps=("${pids[@]:0:$1}") np0 nt0 rt0
  np0=$(nginx_pids); nt0=$(ticks $np0); rt0=$(ticks "${reps[@]}")
  wrk -t2 -c32 -d"${secs}s" -s post.lua "$N/api/v1/verify" > "wrk$1.txt"
  local nt1 rt1 reqs rps non2xx
  nt1=$(ticks $np0); rt1=$(ticks "${reps[@]}")
  reqs=$(awk '/requests in/ {print $1}' "wrk$1.txt"); rps=$(awk '/Requests\/sec/ {print $2}' "wrk$1.txt")
  non2xx=$(awk '/Non-2xx/ {print $4}' "wrk$1.txt")
  printf "  %d replica(s): %8.0f req/s through nginx; CPU per request: replicas %.1f us, nginx %.1f us; non-2xx %s\n" \
    "$1" "$rps" "$(echo "($rt1 - $rt0) * 1000000 / $hz / $reqs" | bc -l)" \
    "$(echo "($nt1 - $nt0) * 1000000 / $hz / $reqs" | bc -l)" "${non2xx:-0}"
}
echo "titlecert scale-out benchmark (wrk -t2 -c32 ${secs}s through nginx, POST /api/v1/verify with a unit; $(nproc) cores)"
measure 1
measure 3
# propagation and bytes per change
printf '{"payload": "%s"}' "$(cat "certs/${ids[2]}.txt")" > victim.json
b0=0; for k in 0 1 2; do b0=$((b0 + $(curl -s "http://127.0.0.1:${ports[$k]}/metrics" | awk '/^titlecert_source_bytes_total/ {print $2}'))); done
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
t0=$(date +%s.%N)
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub >/dev/null
t1=$(date +%s.%N)
seen=(0 0 0)
for _ in $(seq 1 200); do
  for k in 0 1 2; do
    [ "${seen[$k]}" = 0 ] && curl -s -H 'Content-Type: application/json' --data @victim.json \
      "http://127.0.0.1:${ports[$k]}/api/v1/verify" | grep -q '"verdict": *"revoked"' && seen[$k]=$(date +%s.%N)
  done
  [ "${seen[0]}" != 0 -a "${seen[1]}" != 0 -a "${seen[2]}" != 0 ] && break
  sleep 0.05
done
sleep 0.6 # the replicas' next polls (304s) land in the byte count too
b1=0; for k in 0 1 2; do b1=$((b1 + $(curl -s "http://127.0.0.1:${ports[$k]}/metrics" | awk '/^titlecert_source_bytes_total/ {print $2}'))); done
last=$(printf '%s\n' "${seen[@]}" | sort -n | tail -1)
printf "  propagation: publish took %.2f s; from its end to the last replica's first revoked %.2f s (poll 0.5 s)\n" \
  "$(echo "$t1 - $t0" | bc -l)" "$(echo "$last - $t1" | bc -l)"
printf "  bytes fetched per replica for the change: %d (head and signed delta; the bundle is %d bytes)\n" \
  $(((b1 - b0) / 3)) "$(stat -c %s pub/bundle.cbor)"
