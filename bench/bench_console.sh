#!/usr/bin/env bash
# bench_console.sh - the HR console's figures (issue 19), each from rounds that alternate the
# measured and its baseline (which goes first alternates too), min / median / max:
#
#  1. upload and check: a results CSV of --rows rows (10^4) POSTed to /api/batches?title=... as
#     text/csv by a signed-in clerk (the answer 201 or 422; timed from the request to the answer:
#     the rules, the rows stored as a draft with their hash and the audit event), against
#     `titlecert-issuer import --dry-run` of the same file (timed from start to exit: opening the
#     store with its hash key, the rules, nothing stored). A workflow store refuses `import`, so
#     the CLI runs on a single-operator store with the same units and records; the console's is a
#     fresh demo workflow store with the same. rows/s of each and the per-round ratio API/CLI
#     (goal >= 0.8).
#  2. requests/s of GET /api/work (the work list) and GET /api/batches/{id} (the batch page, as
#     the approver sees it: every row, and the read audited) on a store holding --certs (10^5)
#     certificates, all issued through the workflow (batches of --fill rows prepared, publicised
#     and approved with titlecert-issuer, signed by titlecert-signer), with --waiting approved
#     batches of --batch rows still to sign. Baseline: GET /healthz of the same console (no store
#     work). wrk (Debian's; -t2, --conns connections, --seconds per run, a 60 s timeout, a Lua
#     script setting the Cookie header) shares the 2 cores with the console, so the console's CPU
#     per request (user + system of all its threads from /proc/PID/stat, from the run's start to
#     wrk's end, over the requests wrk counted) is printed beside req/s. The console answers API
#     requests one at a time (its store's lock): each run starts once the console is idle again.
#  3. sign -> publish -> the public verifier answers `valid`: one of the waiting batches of
#     --batch (10^3) rows signed through the console (POST /api/batches/{id}/sign, the signer
#     signs), published (POST /api/signer op publish: bundle, delta, register tiles and head
#     written by the signer), and titlecert-verifier serve --source following the publication
#     directory over HTTP (tests/drip_server.py, 127.0.0.1, no throttling), polling every --poll
#     seconds; a client asks POST /api/v1/verify for one certificate of the batch every 10 ms
#     until it is valid. Between sign and publish the certificate's payload is rendered from the
#     store (untimed). Printed: sign, publish, publish -> valid, and their sum.
#
# Release build for figures: CC=gcc meson setup build-rel -Dbuildtype=release -Dtests=false
# (the programs only: this script needs no bench/ executable), then BUILD=build-rel.
# usage: bench/bench_console.sh [--rows N] [--rounds N] [--certs N] [--fill N] [--batch N]
#                               [--seconds S] [--conns N] [--poll S] [--port P]
#   defaults: --rows 10000 --rounds 5 --certs 100000 --fill 10000 --batch 1000 --seconds 5
#             --conns 8 --poll 0.25; four free ports on 127.0.0.1 unless --port P (P to P+3)
# Every program started is stopped on the way out (TERM, KILL 5 s later); wrk runs under
# timeout(1), the console must be idle again within 120 s of a run, a client gives up after 600 s.
# BUILD=DIR picks the build directory (default build). About 6 minutes with the defaults.
set -eu
cd "$(dirname "$0")/.."
rows=10000 rounds=5 certs=100000 fill=10000 batch=1000 secs=5 conns=8 poll=0.25 port=
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2 ;; --rounds) rounds=$2 ;; --certs) certs=$2 ;; --fill) fill=$2 ;;
    --batch) batch=$2 ;; --seconds) secs=$2 ;; --conns) conns=$2 ;; --poll) poll=$2 ;;
    --port) port=$2 ;;
    *) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
  shift 2
done
[ "$rounds" -ge 3 ] || { echo "bench_console: at least 3 rounds" >&2; exit 2; }
[ $((certs % fill)) = 0 ] || { echo "bench_console: --certs is a multiple of --fill" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench_console: wrk is needed (apt-get install wrk)" >&2; exit 2; }
build=${BUILD:-build}
keys=$(realpath "$build/keys/titlecert-keys") issuer=$(realpath "$build/issuer/cli/titlecert-issuer")
signer=$(realpath "$build/signer/titlecert-signer") console=$(realpath "$build/console/titlecert-console")
verifier=$(realpath "$build/verifier/titlecert-verifier")
data=$(realpath data) tests=$(realpath tests) client=$(realpath bench/console_client.py)
cweb=$(realpath console/web)
export TITLECERT_CALENDAR=$data/calendar TITLECERT_PROFILES=$data/profiles
export TITLECERT_WEB_DIR=$(realpath web)
work=$(mktemp -d /tmp/cbench-XXXXXX)
pids=()
cleanup() { # TERM to every program started, KILL to any still there 5 s later
  set +e
  local p i
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for i in $(seq 50); do
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
    [ -z "$p" ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
start=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - start)) "$*" >&2; }

# ---- keys, stores, accounts ------------------------------------------------------------------
export PW='bench console passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
from=$(date -d "$today -60 days" +%F) to=$(date -d "$today +2 years" +%F)
{
  "$keys" root-create --out root --name root --kdf interactive "${P[@]}"
  "$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}"
  "$keys" issuer-create --out pub --name 发布 --kdf interactive "${P[@]}"
  "$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}"
  "$keys" endorse --root root.key --issuer ws.pub --from "$from" --to "$to" --region 62 \
    --tracks basic,province --out ws.end "${P[@]}"
  "$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
    --tracks status,register --out pub.end "${P[@]}"
  "$keys" trust-list --root root.key --version 1 --out trust.list ws.end pub.end "${P[@]}"
} > setup.log 2>&1
printf '%s\n' "$PW" > pass.txt && chmod 600 pass.txt
T=(--root root.pub --trust-list trust.list)
PREP=(--issuer-pub ws.pub "${T[@]}")
setup() { # setup DB MODE: a store with the sample units and records
  "$issuer" init --db "$1" --profile GS --hash-key store.key "${P[@]}" $2 >>setup.log 2>&1
  local D=(--db "$1" --hash-key store.key "${P[@]}") k
  "$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >>setup.log 2>&1
  for k in employment assessments ce; do
    "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >>setup.log 2>&1
  done
}
setup single.db ""
setup flow.db --demo
D=(--db flow.db --hash-key store.key "${P[@]}")
. "$tests/workflow_lib.sh"
wf_accounts
cp flow.db upload.db # part 1's workflow store: the same units, records and accounts, no batch
employer=12620102438000123H
python3 "$tests/gen_results.py" "$rows" 5000000 $employer > upload.csv

# ---- the store of parts 2 and 3: $certs certificates through the workflow ---------------------
say "filling a workflow store with $certs certificates in batches of $fill"
sock=$work/signer.sock
mkdir -p pub gongshi
"$signer" serve --socket "$sock" --db flow.db --hash-key store.key --key ws.key \
  --publication-key pub.key "${T[@]}" --publish-dir pub --log signer.log 2>>signer.log &
pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
"$issuer" signer unlock --socket "$sock" $(wf_as carol) --passphrase-file pass.txt --minutes 60 >>setup.log
for i in $(seq 0 $((certs / fill - 1))); do
  python3 "$tests/gen_results.py" "$fill" $((i * fill)) $employer > fill.csv
  b=$(WF_OUT=gongshi wf_approved fill.csv "存量 $i")
  [ -n "$b" ] || { echo "bench_console: batch $i was not approved" >&2; exit 1; }
  "$issuer" batch sign "$b" --socket "$sock" $(wf_as carol) > sign.txt 2>&1
  grep -q "\"signed\":$fill" sign.txt || { echo "bench_console: signing: $(cat sign.txt)" >&2; exit 1; }
done
waiting=()
for r in $(seq "$rounds"); do # the batches part 3 signs, approved and waiting meanwhile
  python3 "$tests/gen_results.py" "$batch" $((certs + r * batch)) $employer > wait.csv
  b=$(WF_OUT=gongshi wf_approved wait.csv "待签 $r")
  [ -n "$b" ] || { echo "bench_console: waiting batch $r was not approved" >&2; exit 1; }
  waiting+=("$b")
done
"$issuer" signer publish --socket "$sock" $(wf_as carol) >>setup.log 2>&1
"$issuer" signer lock --socket "$sock" $(wf_as carol) >>setup.log 2>&1 || true
say "store ready: $(du -m flow.db | cut -f1) MiB, batches waiting: ${waiting[*]}"

# ---- the programs ---------------------------------------------------------------------------
if [ -n "$port" ]; then
  ports=($port $((port + 1)) $((port + 2)) $((port + 3)))
else # four ports nothing listens on now, from the system
  ports=($(python3 -c 'import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'))
fi
up=http://127.0.0.1:${ports[0]} base=http://127.0.0.1:${ports[1]}
src=http://127.0.0.1:${ports[2]} vurl=http://127.0.0.1:${ports[3]}
C=(serve --hash-key store.key "${T[@]}" --issuer-pub ws.pub --publish-dir gongshi
   --passphrase-file pass.txt --signer-socket "$sock" --web "$cweb" --idle 3600 --reauth 3600)
"$console" "${C[@]}" --db upload.db --listen "127.0.0.1:${ports[0]}" 2>console-up.log &
cup=$!; pids+=($cup)
"$console" "${C[@]}" --db flow.db --listen "127.0.0.1:${ports[1]}" 2>console.log &
cpid=$!; pids+=($cpid)
python3 "$tests/drip_server.py" pub "${ports[2]}" src.port drip.on drip.log 2>src.err &
pids+=($!)
wait_url() { for _ in $(seq 200); do curl -sf -o /dev/null --max-time 1 "$1" && return 0; sleep 0.05; done
  echo "bench_console: $1 does not answer" >&2; return 1; }
wait_url "$up/healthz"; wait_url "$base/healthz"; wait_url "$src/head"
"$verifier" serve --source "$src" --poll "$poll" --root root.pub --state vstate \
  --listen "127.0.0.1:${ports[3]}" 2>verifier.log &
vpid=$!; pids+=($vpid)
wait_url "$vurl/healthz"
pwd_of() { head -1 "$1.pw"; }
python3 "$client" login "$up" alice "$(pwd_of alice)" up-alice.json
python3 "$client" login "$base" bob "$(pwd_of bob)" bob.json
python3 "$client" login "$base" carol "$(pwd_of carol)" carol.json
python3 "$client" post "$base" carol.json /api/signer \
  "{\"op\":\"unlock\",\"password\":\"$(pwd_of carol)\",\"passphrase\":\"$PW\",\"minutes\":60}" >/dev/null
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ---- 1. upload and check --------------------------------------------------------------------
say "1. upload and check of $rows rows: API vs import --dry-run, $rounds rounds"
time_api() { # "seconds console-CPU-seconds"
  local out t0 t1
  t0=$(ticks $cup)
  out=$(python3 "$client" upload "$up" up-alice.json upload.csv "上传 $1")
  t1=$(ticks $cup)
  [ "$(cut -d' ' -f2,3 <<<"$out")" = "201 $rows" ] || { echo "bench_console: upload: $out" >&2; exit 1; }
  echo "$(cut -d' ' -f1 <<<"$out") $(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { print (b - a) / hz }')"
}
time_cli() { # "seconds CPU-seconds" of the process, from its start to its exit
  python3 - "$rows" "$issuer" import --db single.db --hash-key store.key "${P[@]}" --key ws.key \
    "${T[@]}" --dry-run upload.csv <<'PY'
import resource, subprocess, sys, time
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
p = subprocess.run(sys.argv[2:], capture_output=True, text=True)
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode or not p.stdout.startswith(sys.argv[1] + ' certificates would be issued'):
    sys.exit('bench_console: dry run: ' + p.stdout + p.stderr)
print('%.4f %.4f' % (t1 - t0, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime))
PY
}
: > part1.txt
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then a=$(time_api "$r"); c=$(time_cli); else c=$(time_cli); a=$(time_api "$r"); fi
  echo "$a $c" >> part1.txt
  say "   round $r: API $a, CLI $c (seconds, CPU seconds)"
done

# ---- 2. the console's API under load --------------------------------------------------------
page=${waiting[0]}
say "2. GET /api/work, GET /api/batches/$page vs GET /healthz, wrk -t2 -c$conns ${secs}s, $rounds rounds"
python3 -c 'import json, sys; print("wrk.headers[\"Cookie\"] = \"%s\"" % json.load(open(sys.argv[1]))["cookie"])' \
  bob.json > cookie.lua
python3 "$client" get "$base" bob.json /api/work > work.json
python3 "$client" get "$base" bob.json "/api/batches/$page" > page.json
# the console answers API requests one at a time (its store's lock): requests wrk gave up on at
# the end of a run are still being answered after it; the next run starts once they are done
drain() { # until the console's CPU time stands still for 0.2 s; at most 120 s
  local a b i
  b=$(ticks $cpid)
  for i in $(seq 600); do
    sleep 0.2; a=$(ticks $cpid)
    [ "$a" = "$b" ] && return 0
    b=$a
  done
  echo "bench_console: the console is still busy 120 s after a run" >&2; exit 1
}
run() { # run PATH: "req/s cpu-us-per-request non2xx"; the CPU from the run's start to wrk's end
  local t0 t1 out
  drain
  t0=$(ticks $cpid)
  out=$(timeout -k 5 $((secs + 90)) wrk -t2 -c"$conns" -d"${secs}s" --timeout 60s -s cookie.lua "$base$1")
  t1=$(ticks $cpid)
  awk -v t0="$t0" -v t1="$t1" -v hz="$hz" '
    /Requests\/sec/ { rps = $2 } / requests in / { n = $1 } /Non-2xx/ { bad += $4 }
    /Socket errors/ { for (i = 3; i < NF; i += 2) bad += $(i + 1) }
    END { printf "%.1f %.1f %d\n", rps, n ? (t1 - t0) * 1e6 / hz / n : -1, bad + 0 }' <<<"$out"
}
run /api/work >/dev/null # warms the caches; not counted
: > part2.txt
paths=(/healthz /api/work "/api/batches/$page")
for r in $(seq "$rounds"); do
  declare -A res=()
  if [ $((r % 2)) = 1 ]; then order=(0 1 2); else order=(2 1 0); fi
  for i in "${order[@]}"; do res[$i]=$(run "${paths[$i]}"); done
  echo "${res[0]} ${res[1]} ${res[2]}" >> part2.txt
  say "   round $r: healthz ${res[0]} | work ${res[1]} | batch ${res[2]}"
  unset res
done

# ---- 3. sign -> publish -> valid ------------------------------------------------------------
say "3. sign -> publish -> verifier says valid, batches of $batch, verifier polling every ${poll}s"
mkdir -p certs
render_one() { # the payload of one certificate of the issue batch behind workflow batch $1
  local ib id
  ib=$(python3 "$client" get "$base" bob.json "/api/batches/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issue_batch"])')
  id=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:flow.db?mode=ro", uri=True).execute("SELECT min(id) FROM certificates WHERE batch = ?", (int(sys.argv[1]),)).fetchone()[0])' "$ib")
  "$issuer" render --db flow.db --out-dir certs --base-url http://127.0.0.1:8080 "$id" >/dev/null 2>&1
  echo "$work/certs/$id.txt"
}
export -f render_one
export client base work issuer
: > part3.txt
for r in $(seq "$rounds"); do
  out=$(python3 "$client" latency "$base" carol.json "$vurl" "${waiting[$((r - 1))]}" "$(pwd_of carol)" \
    bash -c 'render_one "$0"' "${waiting[$((r - 1))]}")
  echo "$out" >> part3.txt
  say "   round $r: sign, publish, publish->valid (s), certificates: $out"
done

# ---- figures --------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
echo "titlecert console benchmark ($(date -u +%F), $(nproc) cores, $cpu_model; load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); build $build)"
python3 - "$rows" "$certs" "$fill" "$batch" "$rounds" "$secs" "$conns" "$poll" "$page" <<'PY'
import statistics, sys
rows, certs, fill, batch, rounds = map(int, sys.argv[1:6])
secs, conns, poll, page = sys.argv[6:10]
def line(name, xs, fmt):
    print(f"  {name:<44}" + "  ".join(fmt.format(x) for x in (min(xs), statistics.median(xs), max(xs))))
hdr = f"  {'':<44}{'min':>10}  {'median':>10}  {'max':>10}"
p1 = [list(map(float, l.split())) for l in open('part1.txt')]
print(f"1. upload and check of {rows} rows, {rounds} rounds alternating (the CLI on a single-operator store)")
print(hdr)
line("API POST /api/batches, rows/s", [rows / r[0] for r in p1], "{:10.0f}")
line("CLI import --dry-run, rows/s", [rows / r[2] for r in p1], "{:10.0f}")
line("ratio API/CLI, rows/s (goal >= 0.8)", [r[2] / r[0] for r in p1], "{:10.3f}")
line("API, console CPU us/row", [r[1] * 1e6 / rows for r in p1], "{:10.1f}")
line("CLI, process CPU us/row", [r[3] * 1e6 / rows for r in p1], "{:10.1f}")
p2 = [list(map(float, l.split())) for l in open('part2.txt')]
print(f"2. console API on {certs} certificates ({certs // fill} batches of {fill}, {rounds} of {batch} "
      f"waiting), wrk -t2 -c{conns} {secs}s, {rounds} rounds")
print(hdr)
for k, name in ((0, "GET /healthz"), (3, "GET /api/work"), (6, f"GET /api/batches/{page} ({batch} rows)")):
    line(name + ", req/s", [r[k] for r in p2], "{:10.1f}")
    line(name + ", CPU us/req", [r[k + 1] for r in p2], "{:10.1f}")
line("work list / healthz, req/s", [r[3] / r[0] for r in p2], "{:10.3g}")
line("batch page / healthz, req/s", [r[6] / r[0] for r in p2], "{:10.3g}")
bad = sum(r[2] + r[5] + r[8] for r in p2)
if bad:
    print(f"  non-2xx answers and socket errors: {bad:.0f}")
p3 = [list(map(float, l.split())) for l in open('part3.txt')]
print(f"3. sign -> publish -> verifier valid, batches of {batch}, verifier --poll {poll}, {rounds} rounds (s)")
print(hdr)
line("sign (POST /api/batches/{id}/sign)", [r[0] for r in p3], "{:10.3f}")
line("publish (POST /api/signer publish)", [r[1] for r in p3], "{:10.3f}")
line("publish answered -> verifier says valid", [r[2] for r in p3], "{:10.3f}")
line("sign + publish + seen", [r[0] + r[1] + r[2] for r in p3], "{:10.3f}")
PY
echo "  console resident memory: $(awk '/VmRSS/ {print $2, $3}' /proc/$cpid/status);" \
  "store $(du -m flow.db | cut -f1) MiB; run took $(($(date +%s) - start)) s"
