#!/usr/bin/env bash
# Runs every titlecert test twice: a gcc build with -Werror, then a clang build with
# AddressSanitizer + UndefinedBehaviorSanitizer that also runs each libFuzzer target for a bounded
# time (TITLECERT_FUZZ_SECONDS, default 20). External vectors are read from ../shared/vectors
# beside the clone; tests that need them report SKIP where it is absent.
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh fuzz
fuzz_seconds=${TITLECERT_FUZZ_SECONDS:-20}
status=0
logs=()

run_build() { # run_build DIR SETUP-ARGS...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    # the setup log lives in the build directory, so a test run leaves the checkout clean
    mkdir -p "$dir"
    meson setup "$dir" "$@" >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; return 1; }
  else
    meson configure "$dir" "$@" >/dev/null || return 1
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

echo "== build 1: gcc, -Werror =="
CC=gcc run_build build-test --werror -Dbuildtype=debugoptimized || status=1
logs+=(build-test/meson-logs/testlog.json)

echo "== build 2: clang, ASan + UBSan, libFuzzer ${fuzz_seconds}s per target =="
CC=clang run_build build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false \
  -Dfuzz=true -Dfuzz_seconds="$fuzz_seconds" || status=1
logs+=(build-asan/meson-logs/testlog.json)

python3 scripts/summary.py "${logs[@]}" || status=1
exit $status
