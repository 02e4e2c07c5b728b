#!/usr/bin/env bash
# bench_import.sh - `titlecert-issuer import` of ROWS results with --out-dir (each certificate's
# payload, link, QR PNG and SVG written) against the same import without it, measured in rounds
# that alternate the two on the same machine. Each run imports the same CSV (tests/gen_results.py,
# distinct people) into a fresh copy of one store (keys, profile and units already in it), so the
# two differ only in the files; the order alternates from round to round and every ratio is of
# the two runs of one round. Wall time and the CPU time of the process (user + system, from
# /usr/bin/time) are printed, min / median / max over the rounds, with certificates per second.
# The files go to the work directory (WORK_DIR, default a new directory under /tmp: a real disk,
# since the syncs are part of the cost) and are removed after each run.
#
# usage: bench/bench_import.sh [ROWS [ROUNDS]]   (defaults 10000 and 3; ROUNDS >= 3)
# BUILD=DIR picks the build directory (default build).
set -eu
cd "$(dirname "$0")/.."
rows=${1:-10000} rounds=${2:-3}
[ "$rounds" -ge 3 ] || { echo "bench_import: at least 3 rounds" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench_import: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
build=${BUILD:-build}
keys=$(realpath "$build/keys/titlecert-keys") issuer=$(realpath "$build/issuer/cli/titlecert-issuer")
data=$(realpath data) gen=$(realpath tests/gen_results.py)
export TITLECERT_PROFILES=$(realpath data/profiles) TITLECERT_CALENDAR=$(realpath data/calendar)
work=$(mktemp -d "${WORK_DIR:-/tmp}/tc_bench_import_XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export PW='benchmark passphrase'
P=(--passphrase-env PW)
today=$(TZ=Asia/Shanghai date +%F)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer ws.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --tracks basic,province --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
"$issuer" init --db base.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import --db base.db --hash-key store.key "${P[@]}" "$data/samples/gs-units.csv" >/dev/null
python3 "$gen" "$rows" 0 12620102438000123H > results.csv

# one run: prints "wall cpu"; with "files" as $1, into the out directory
run() {
  rm -f run.db*; rm -rf out
  cp base.db run.db
  local extra=()
  [ "$1" = files ] && extra=(--out-dir out --base-url https://zcyz.rst.gansu.gov.cn)
  /usr/bin/time -f "%e %U %S" -o time.txt "$issuer" import --db run.db --hash-key store.key "${P[@]}" \
    --key ws.key --root root.pub --trust-list trust.list "${extra[@]}" results.csv >run.out 2>run.err ||
    { cat run.err >&2; exit 1; }
  if [ "$1" = files ]; then
    local n
    n=$(find out -type f | wc -l)
    [ "$n" = $((4 * rows)) ] || { echo "bench_import: $n files, not $((4 * rows))" >&2; exit 1; }
  fi
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' time.txt
}

run plain >/dev/null # warms the page cache and the CPU clock; not counted
: > rounds.txt
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    a=$(run plain); b=$(run files)
  else
    b=$(run files); a=$(run plain)
  fi
  echo "$a $b" >> rounds.txt
  printf "  round %d: import %6.2f s (CPU %6.2f s) | with --out-dir %6.2f s (CPU %6.2f s)\n" "$r" \
    $a $b >&2
done

echo "titlecert import benchmark: $rows rows, $rounds rounds alternating import without and with"
echo "--out-dir (4 files a certificate), each into a fresh copy of the same store"
python3 - "$rows" <<'PY'
import statistics, sys
rows = int(sys.argv[1])
v = [list(map(float, l.split())) for l in open('rounds.txt')]
def line(name, xs, fmt):
    print(f"  {name:<38}" + " / ".join(fmt.format(x) for x in (min(xs), statistics.median(xs), max(xs))))
print(f"  {'':<38}{'min':>8} / {'median':>8} / {'max':>8}")
line("import, wall s", [r[0] for r in v], "{:8.2f}")
line("import, CPU s", [r[1] for r in v], "{:8.2f}")
line("import, certificates/s", [rows / r[0] for r in v], "{:8.0f}")
line("import --out-dir, wall s", [r[2] for r in v], "{:8.2f}")
line("import --out-dir, CPU s", [r[3] for r in v], "{:8.2f}")
line("import --out-dir, certificates/s", [rows / r[2] for r in v], "{:8.0f}")
line("ratio --out-dir / plain, wall (goal <= 2)", [r[2] / r[0] for r in v], "{:8.2f}")
line("ratio --out-dir / plain, CPU", [r[3] / r[1] for r in v], "{:8.2f}")
PY
