#!/usr/bin/env bash
# cluster.sh - verifier replicas behind a real nginx, following one published register: nginx
# (Debian's, started here as an ordinary process with its own prefix, on 127.0.0.1) serves the
# publication directory and balances three replicas started with --source. While a bounded load
# runs through nginx:
#  1. a revocation is published: every replica answers `revoked` within 5 s (measured), having
#     fetched a signed delta of a few hundred bytes rather than the bundle, and each caches the
#     full bundle it stands for (17.5);
#  2. one replica is killed with SIGKILL: no request through nginx fails (POST verify is
#     idempotent, so nginx retries it on the next replica); it restarts and rejoins with the
#     current bundle, never an older one;
#  3. an older bundle is published (a rollback): every replica refuses it, keeps serving, and
#     says so in its log and /metrics;
#  4. a witness (titlecert-witness) co-signs every publication (quorum 1) and the replicas require
#     it: a publication without its co-signature is refused by all three, the current one kept.
# Prints TAP. usage: cluster.sh KEYS ISSUER VERIFIER DATA_DIR WITNESS
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
witness=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx" ]; then
  echo "not ok 1 - nginx is needed (scripts/deps.sh test installs it)"; echo "1..1"; exit 1
fi
work=$(mktemp -d)
ngx="" pids=() load=()
cleanup() {
  touch "$work/stop" 2>/dev/null
  for p in "${load[@]}" "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  # nginx by TERM: its master then stops its worker (a SIGKILLed master would leave it running)
  [ -n "$ngx" ] && kill "$ngx" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
gs_fixture
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 1 >/dev/null

free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }; done; }
# five distinct free ports: three replicas, nginx and the witness
ports=()
while [ ${#ports[@]} -lt 5 ]; do
  p=$(free_port)
  case " ${ports[*]} " in *" $p "*) ;; *) ports+=("$p") ;; esac
done
np=${ports[3]} wp=${ports[4]}
# the witness, told the register's origin and verifier key (name+key id+base64 of 0x01 and the
# Ed25519 key, as signed notes name keys)
origin=$(head -1 pub/checkpoint)
wspk=$("$keys" show ws.pub | sed -n 's/^ *public key: *//p')
logkey=$(python3 -c 'import base64, hashlib, sys
n, pk = sys.argv[1], bytes.fromhex(sys.argv[2])
kid = hashlib.sha256(n.encode() + b"\n\x01" + pk).digest()[:4].hex()
print(n + "+" + kid + "+" + base64.b64encode(b"\x01" + pk).decode())' "$origin" "$wspk")
echo "log $origin $logkey" > logs.conf
"$keys" issuer-create --out wit --name witness.test/cluster --kdf interactive "${P[@]}" >/dev/null
mkdir wit.state
"$witness" serve --listen "127.0.0.1:$wp" --config logs.conf --state wit.state --key wit.key \
  "${P[@]}" 2>wit.err &
pids[3]=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$wp/healthz" && break; sleep 0.1; done
echo "witness witness.test/cluster $("$witness" vkey --pub wit.pub) http://127.0.0.1:$wp/" > witnesses.conf
W=(--witnesses witnesses.conf --witness-quorum 1)
check "4: the witness co-signs the publication the replicas start from" 0 "$issuer" publish "${D[@]}" \
  --key ws.key "${T[@]}" --out pub "${W[@]}"
truth "4: its checkpoint carries the witness's co-signature" grep -q "^— witness.test/cluster " pub/checkpoint
cp pub/bundle.cbor old.bundle && cp pub/head old.head
mkdir -p tmp logs
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat > nginx.conf <<CONF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    upstream verifiers {
        server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=3s;
        server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=3s;
        server 127.0.0.1:${ports[2]} max_fails=1 fail_timeout=3s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$np;
        location /pub/ { alias $work/pub/; etag on; }
        location / {
            proxy_pass http://verifiers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Real-IP \$remote_addr;
            # POST /api/v1/verify is idempotent (a verdict changes nothing): retry it elsewhere
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
        }
    }
}
CONF
check "nginx -t accepts the cluster's configuration" 0 "$nginx" -t -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf"
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -g 'daemon off;' 2>logs/nginx.err &
ngx=$!
N=http://127.0.0.1:$np
for _ in $(seq 1 50); do curl -sf -o /dev/null "$N/pub/head" && break; sleep 0.1; done
check "nginx serves the publication" 0 curl -sf -o /dev/null "$N/pub/head"

start_replica() { # start_replica K: its port (named in nginx's upstream) free first
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${ports[$1]}") 2>/dev/null || break
    sleep 0.1 # something else holds it for the moment (a test beside this one)
  done
  "$verifier" serve --source "$N/pub" --poll 0.5 --root root.pub --listen 127.0.0.1:${ports[$1]} \
    --state "state$1" --trusted-proxy 127.0.0.1 --access-log /dev/null "${W[@]}" 2>>"replica$1.log" &
  pids[$1]=$!
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:${ports[$1]}/healthz" && return 0
    sleep 0.1
  done
  sed 's/^/# /' "replica$1.log" | tail -5
  return 1
}
for k in 0 1 2; do truth "replica $k follows the publication through nginx" start_replica $k; done
version() { curl -s --max-time 2 "http://127.0.0.1:${ports[$1]}/healthz" | sed -n 's/.*"bundle_version":\([0-9]*\).*/\1/p'; }
v2=$(version 0)
truth "all three serve bundle version $v2" [ -n "$v2" -a "$(version 1)" = "$v2" -a "$(version 2)" = "$v2" ]

# a bounded load through nginx: 4 clients verifying a valid certificate until told to stop
printf '{"payload": "%s"}' "$(cat "certs/${ids[1]}.txt")" > valid.json
for c in 1 2 3 4; do
  ( while [ ! -e stop ]; do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -H 'Content-Type: application/json' \
        --data @valid.json "$N/api/v1/verify" >> "load$c.txt"
    done ) &
  load+=($!)
done
sleep 1

# 1. a revocation, published: every replica answers revoked within 5 s
printf '{"payload": "%s"}' "$(cat "certs/${ids[2]}.txt")" > victim.json
verdict_at() { curl -s --max-time 2 -H 'Content-Type: application/json' --data @victim.json \
  "http://127.0.0.1:${ports[$1]}/api/v1/verify" | sed -n 's/.*"verdict": *"\([a-z_]*\)".*/\1/p' | head -1; }
truth "before: replica 0 says ${ids[2]} is valid" [ "$(verdict_at 0)" = valid ]
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub "${W[@]}" >/dev/null
t0=$(date +%s.%N)
seen=(0 0 0) last=""
for _ in $(seq 1 100); do
  for k in 0 1 2; do
    [ "${seen[$k]}" = 0 ] && [ "$(verdict_at $k)" = revoked ] && seen[$k]=$(date +%s.%N)
  done
  [ "${seen[0]}" != 0 -a "${seen[1]}" != 0 -a "${seen[2]}" != 0 ] && break
  sleep 0.1
done
lastseen=$(printf '%s\n' "${seen[@]}" | sort -n | tail -1)
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; } # bc is not in a minimal Debian
prop=$(sub "$lastseen" "$t0")
truth "every replica answers revoked (publish -> last replica's first revoked: $(printf %.2f "$prop") s, goal <= 5 s)" \
  [ "${seen[0]}" != 0 -a "${seen[1]}" != 0 -a "${seen[2]}" != 0 -a "$(awk -v p="$prop" 'BEGIN { print (p <= 5) }')" = 1 ]
v3=$(version 0)
for k in 0 1 2; do curl -s "http://127.0.0.1:${ports[$k]}/metrics" > "m1-$k.txt"; done
truth "each replica took the revocation as a delta, not the whole bundle" \
  sh -c 'for k in 0 1 2; do grep -q "^titlecert_source_deltas_total [1-9]" m1-$k.txt || exit 1; done'
truth "17.5: each replica's cache holds the bundle in use, the full bundle the delta stands for" \
  sh -c 'for k in 0 1 2; do cmp -s state$k/source.bundle pub/bundle.cbor || exit 1; done'
dbytes=$(sed -n 's/^delta [0-9]* [0-9a-f]* \([0-9]*\)$/\1/p' pub/head)
truth "the delta is $dbytes bytes (goal <= 64 KiB; the bundle is $(stat -c %s pub/bundle.cbor))" \
  [ -n "$dbytes" ] && [ "$dbytes" -le 65536 ]

# 2. SIGKILL one replica under load: nginx retries on the others
sleep 1
before=$(cat load*.txt | wc -l)
kill -9 "${pids[1]}"; wait "${pids[1]}" 2>/dev/null
sleep 3
during=$(cat load*.txt | wc -l)
truth "requests kept flowing through nginx while replica 1 was down ($((during - before)) in 3 s)" [ $((during - before)) -gt 10 ]
r0=$(date +%s.%N)
truth "replica 1 restarts and rejoins" start_replica 1
rejoin=$(sub "$(date +%s.%N)" "$r0")
truth "with the current bundle (version $(version 1), current $v3; serving $(printf %.2f "$rejoin") s after the restart)" \
  [ "$(version 1)" = "$v3" ]
truth "and its state file keeps it from ever accepting an older one" grep -q "bundle_version $v3" state1/*.state

# 3. an older bundle is published: refused everywhere, the current one kept
cp old.bundle pub/bundle.cbor.tmp && mv pub/bundle.cbor.tmp pub/bundle.cbor
cp old.head pub/head.tmp && mv pub/head.tmp pub/head
t0=$(date +%s.%N)
for _ in $(seq 1 50); do
  nref=0; for k in 0 1 2; do grep -q "older than version $v3 in use: refused" "replica$k.log" && nref=$((nref + 1)); done
  [ $nref = 3 ] && break
  sleep 0.1
done
refusal=$(sub "$(date +%s.%N)" "$t0")
truth "all three refused the older bundle $(printf %.2f "$refusal") s after it was published" [ "$nref" = 3 ]
for k in 0 1 2; do
  truth "replica $k keeps serving version $v3 after the rollback attempt" [ "$(version $k)" = "$v3" ]
  has "replica $k says so in its log" "replica$k.log" "older than version $v3 in use: refused (a rollback)"
  curl -s "http://127.0.0.1:${ports[$k]}/metrics" > "metrics$k.txt"
  has "and in /metrics" "metrics$k.txt" "^titlecert_source_older_refused_total [1-9]"
done
truth "replica 0 still answers revoked" [ "$(verdict_at 0)" = revoked ]

# 4. a publication the witness did not co-sign: refused by every replica, which requires it
"$issuer" revoke "${D[@]}" --reason error "${ids[0]}" >/dev/null
check "4: a publication without the witnesses (the publisher alone)" 0 "$issuer" publish "${D[@]}" \
  --key ws.key "${T[@]}" --out pub
t0=$(date +%s.%N)
for _ in $(seq 1 50); do
  nref=0; for k in 0 1 2; do grep -q "lacks the witnesses' quorum" "replica$k.log" && nref=$((nref + 1)); done
  [ $nref = 3 ] && break
  sleep 0.1
done
truth "4: all three replicas refuse it, lacking the witness's co-signature ($(printf %.2f "$(sub "$(date +%s.%N)" "$t0")") s)" \
  [ "$nref" = 3 ]
for k in 0 1 2; do
  truth "4: replica $k keeps serving version $v3" [ "$(version $k)" = "$v3" ]
done
curl -s "http://127.0.0.1:${ports[0]}/metrics" > metrics-w.txt
has "4: and counts it" metrics-w.txt "^titlecert_witness_refused_total [1-9]"

touch stop
for p in "${load[@]}"; do wait "$p" 2>/dev/null; done
load=()
total=$(cat load*.txt | wc -l)
bad=$(cat load*.txt | grep -vc '^200$')
truth "the load: $total requests through nginx, $bad not 2xx (goal 0)" [ "$total" -gt 100 -a "$bad" = 0 ]
has "the replicas counted their polls" metrics0.txt "^titlecert_source_polls_total [1-9]"
finish
