#!/usr/bin/env bash
# bench_signer.sh - signing through titlecert-signer over its socket against `import`, the
# single-operator command that checks and signs a results CSV in one process: the same N rows,
# in rounds that alternate the two (which goes first alternates too), each on a fresh copy of
# its store. Timed: `import` from start to exit (reading the CSV, every rule, opening the key,
# signing, one transaction); `batch sign` from the request to the answer (the account's
# password, the approval checked against the audit chain and the register, the rows read back
# and every rule again, signing, one transaction). Not timed: preparing, publicising and
# approving the batch, starting and unlocking the signer. Prints min / median / max of each
# one's certificates per second and of the per-round ratio signer/import (goal >= 0.8).
# usage: bench/bench_signer.sh [ROWS [ROUNDS]]   (defaults 2000 and 5; BUILD=DIR, default build)
set -eu
cd "$(dirname "$0")/.."
rows=${1:-2000} rounds=${2:-5}
build=${BUILD:-build}
keys=$(realpath "$build/keys/titlecert-keys") issuer=$(realpath "$build/issuer/cli/titlecert-issuer")
signer=$(realpath "$build/signer/titlecert-signer") data=$(realpath data) tests=$(realpath tests)
export TITLECERT_CALENDAR=$data/calendar TITLECERT_PROFILES=$data/profiles
work=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export PW='bench signer passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
from=$(date -d "$today -60 days" +%F) to=$(date -d "$today +2 years" +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out pub --name 发布 --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$from" --to "$to" --region 62 \
  --tracks basic,province --out ws.end "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
  --tracks status,register --out pub.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end pub.end "${P[@]}" >/dev/null
printf '%s\n' "$PW" > pass.txt && chmod 600 pass.txt
T=(--root root.pub --trust-list trust.list)
python3 "$tests/gen_results.py" "$rows" 0 12620102438000123H > rows.csv

setup() { # setup DB MODE: a store with the sample units and records
  "$issuer" init --db "$1" --profile GS --hash-key store.key "${P[@]}" $2 >/dev/null
  local D=(--db "$1" --hash-key store.key "${P[@]}")
  "$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null 2>&1
  for k in employment assessments ce; do
    "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null 2>&1
  done
}
setup single.db ""
setup flow.db --demo
D=(--db flow.db --hash-key store.key "${P[@]}")
PREP=(--issuer-pub ws.pub "${T[@]}")
. "$tests/workflow_lib.sh"
wf_accounts
cp flow.db flow-template.db

secs() { python3 -c 'import sys; print("%.3f" % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))' "$1" "$2"; }

time_import() {
  cp single.db run.db
  local t0 t1
  t0=$(date +%s%N)
  "$issuer" import --db run.db --hash-key store.key "${P[@]}" --key ws.key "${T[@]}" rows.csv >/dev/null 2>&1
  t1=$(date +%s%N)
  secs "$t0" "$t1"
}

time_signer() {
  cp flow-template.db flow.db
  local b t0 t1 sock=$work/s.sock
  rm -f "$sock" signer.state
  # the signer runs from the 公示 on: it dates a 公示 from when it first sees it
  export WF_CLOCK=$work/clock WF_SOCKET=$sock TITLECERT_DEMO_CLOCK=@$work/clock
  echo 0 > "$WF_CLOCK"
  "$signer" serve --socket "$sock" --db flow.db --hash-key store.key --key ws.key \
    --publication-key pub.key "${T[@]}" --publish-dir pubdir --state signer.state --demo 2>/dev/null &
  spid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  b=$(WF_OUT=pubdir wf_approved rows.csv bench)
  "$issuer" signer unlock --socket "$sock" $(wf_as carol) --passphrase-file pass.txt --minutes 10 >/dev/null
  t0=$(date +%s%N)
  "$issuer" batch sign "$b" --socket "$sock" $(wf_as carol) > sign.txt 2>&1
  t1=$(date +%s%N)
  grep -q "\"signed\":$rows" sign.txt || { echo "bench_signer: signing failed: $(cat sign.txt)" >&2; exit 1; }
  kill $spid; wait $spid 2>/dev/null || true; spid=
  secs "$t0" "$t1"
}

imp=() sig=() ratio=()
echo "bench_signer: $rows rows, $rounds rounds (alternating order)"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then a=$(time_import); s=$(time_signer); else s=$(time_signer); a=$(time_import); fi
  imp+=("$a") sig+=("$s")
  ratio+=("$(python3 -c "print('%.3f' % ($a / $s))")")
  printf '  round %d: import %ss, signer %ss, ratio %s\n' "$r" "$a" "$s" "${ratio[-1]}"
done
python3 - "$rows" "${imp[*]}" "${sig[*]}" "${ratio[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
imp = [n / float(x) for x in sys.argv[2].split()]
sig = [n / float(x) for x in sys.argv[3].split()]
ratio = [float(x) for x in sys.argv[4].split()]
def line(name, v, fmt):
    print(f"{name:32s} min {fmt % min(v)}  median {fmt % statistics.median(v)}  max {fmt % max(v)}")
line("import, certificates/s", imp, "%8.0f")
line("signer over socket, certificates/s", sig, "%8.0f")
line("ratio signer/import (goal >= 0.8)", ratio, "%8.3f")
PY
