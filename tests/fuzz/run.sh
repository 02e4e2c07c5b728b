#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over the committed seed corpus. New inputs go to
# a temporary directory, never into the repository. Prints TAP.
# usage: run.sh FUZZER CORPUS_DIR SECONDS
set -u
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/new" "$work/artifacts"
if "$fuzzer" "$work/new" "$corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
     >"$work/log" 2>&1; then
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
  echo "ok 1 - $(basename "$fuzzer"): ${runs:-?} inputs in ${seconds}s, no crash"
else
  echo "not ok 1 - $(basename "$fuzzer") found a problem"
  tail -n 60 "$work/log" | sed 's/^/# /'
  # keep what it found next to the build's logs, for a regression input in the corpus
  mkdir -p fuzz-artifacts && cp "$work"/artifacts/* fuzz-artifacts/ 2>/dev/null
  for f in "$work"/artifacts/*; do [ -f "$f" ] && echo "# artifact (base64): $(base64 -w0 "$f")"; done
fi
echo "1..1"
