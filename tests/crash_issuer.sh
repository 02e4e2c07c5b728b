#!/usr/bin/env bash
# crash_issuer.sh - kills `titlecert-issuer import` with SIGKILL at random moments during large
# batches, repeatedly, and checks the store after each kill: no partial batch, every certificate
# has its audit event, the audit chain verifies, ids are unique, and the register (A3) holds
# exactly one issue entry per certificate. Then one batch runs to the end.
# Odd rounds kill inside the transaction: once the write-ahead log has grown past a random size
# (SQLite spills pages there before COMMIT); even rounds kill after a random delay.
# Prints TAP. usage: crash_issuer.sh KEYS ISSUER DATA_DIR [ROUNDS] [ROWS]
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") data=$(realpath "$3")
rounds=${4:-6} rows=${5:-30000}
. "$(dirname "$(realpath "$0")")/tap.sh"
gen="$(dirname "$(realpath "$0")")/gen_results.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export PW='crash test passphrase'
P=(--passphrase-env PW)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
"$keys" issuer-create --out ws --name ws --kdf interactive "${P[@]}" >/dev/null
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
today=$(TZ=Asia/Shanghai date +%F)
"$keys" endorse --root root.key --issuer ws.pub --from "$today" --to "$(date -d "$today +2 years" +%F)" \
  --region 62 --out ws.end "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
D=(--db gs.db --hash-key store.key "${P[@]}")
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null

store_checks() { # store_checks LABEL
  local partial missing dup
  partial=$(sqlite3 gs.db "SELECT count(*) FROM batches b WHERE b.rows <> (SELECT count(*) FROM certificates c WHERE c.batch = b.id)")
  missing=$(sqlite3 gs.db "SELECT count(*) FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.cert = c.id AND e.kind = 'issue')")
  dup=$(sqlite3 gs.db "SELECT count(*) - count(DISTINCT id) FROM certificates")
  truth "$1: no partial batch" [ "$partial" = 0 ]
  truth "$1: every certificate has its issue event" [ "$missing" = 0 ]
  truth "$1: certificate ids are unique" [ "$dup" = 0 ]
  # A3: the register and the store agree: one issue entry per certificate, each certificate's
  # entry exists, and the entries are numbered without a gap
  local issues certs unlinked gap
  issues=$(sqlite3 gs.db "SELECT count(*) FROM register WHERE substr(leaf, 1, 2) = x'8601'")
  certs=$(sqlite3 gs.db "SELECT count(*) FROM certificates")
  unlinked=$(sqlite3 gs.db "SELECT count(*) FROM certificates c WHERE c.reg_leaf IS NULL OR NOT EXISTS (SELECT 1 FROM register r WHERE r.idx = c.reg_leaf AND substr(r.leaf, 1, 2) = x'8601')")
  gap=$(sqlite3 gs.db "SELECT count(*) - coalesce(max(idx) + 1, 0) FROM register")
  truth "$1: the register holds one issue entry per certificate ($issues for $certs)" [ "$issues" = "$certs" ]
  truth "$1: every certificate points at its issue entry, numbered without a gap" [ "$unlinked" = 0 -a "$gap" = 0 ]
  check "$1: the audit chain verifies" 0 "$issuer" audit verify "${D[@]}"
}

killed_mid=0 inside=0
for r in $(seq 1 "$rounds"); do
  python3 "$gen" "$rows" $((r * rows)) 12620102438000123H > batch.csv
  before=$(sqlite3 gs.db "SELECT count(*) FROM certificates")
  wal0=$(stat -c %s gs.db-wal 2>/dev/null || echo 0)
  "$issuer" import "${D[@]}" --key ws.key --root root.pub --trust-list trust.list batch.csv >/dev/null 2>&1 &
  pid=$!
  if [ $((r % 2)) = 1 ]; then
    threshold=$((wal0 + 65536 + RANDOM * 64)) # 64 KiB .. 2 MiB more than before
    for _ in $(seq 1 1000); do
      [ "$(stat -c %s gs.db-wal 2>/dev/null || echo 0)" -ge "$threshold" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.005
    done
  else
    sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
  fi
  grown=$(( $(stat -c %s gs.db-wal 2>/dev/null || echo 0) - wal0 ))
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$grown" -gt 65536 ] && inside=$((inside + 1))
  after=$(sqlite3 gs.db "SELECT count(*) FROM certificates")
  got=$((after - before))
  [ "$got" = 0 ] && killed_mid=$((killed_mid + 1))
  truth "round $r: killed after $got of $rows certificates (log grew $grown bytes): all or nothing" \
    [ "$got" = 0 -o "$got" = "$rows" ]
  store_checks "round $r"
done
truth "kills landed before the commit ($killed_mid of $rounds)" [ "$killed_mid" -gt 0 ]
truth "kills landed inside the transaction, the log already written to ($inside of $rounds)" \
  [ "$inside" -gt 0 ]
python3 "$gen" "$rows" 0 12620102438000123H > last.csv
check "a batch that is not killed completes" 0 "$issuer" import "${D[@]}" --key ws.key --root root.pub --trust-list trust.list last.csv
store_checks "after completion"
finish
