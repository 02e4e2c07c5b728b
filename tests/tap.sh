# tap.sh - TAP helpers for the shell tests (sourced). Run commands in the current directory;
# out.txt and err.txt hold the last command's output. A failure and its details go to standard
# error too, which is what 'meson test --print-errorlogs' (and so CI's log) shows.
n=0 failed=0
both() { tee /dev/stderr; }
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND...
  local desc=$1 want=$2; shift 2
  "$@" >out.txt 2>err.txt; local got=$?
  n=$((n + 1))
  if [ "$got" = "$want" ]; then echo "ok $n - $desc"; else
    { echo "not ok $n - $desc (exit $got, want $want)"; awk '{ print "# " $0 }' err.txt out.txt | head -20; } | both
    failed=$((failed + 1)); fi
}
has() { # has DESCRIPTION FILE PATTERN
  n=$((n + 1))
  if grep -q -- "$3" "$2"; then echo "ok $n - $1"; else
    { echo "not ok $n - $1 (no '$3')"; awk '{ print "# " $0 }' "$2" | head -20; } | both; failed=$((failed + 1)); fi
}
has_not() { # has_not DESCRIPTION FILE PATTERN
  n=$((n + 1))
  if ! grep -q -- "$3" "$2"; then echo "ok $n - $1"; else
    { echo "not ok $n - $1 ('$3' is there)"; grep -- "$3" "$2" | awk '{ print "# " $0 }' | head -5; } | both
    failed=$((failed + 1)); fi
}
truth() { # truth DESCRIPTION COMMAND... (ok when the command succeeds)
  local desc=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc" | both; failed=$((failed + 1)); fi
}
finish() {
  echo "1..$n"
  [ "$failed" = 0 ]
}
