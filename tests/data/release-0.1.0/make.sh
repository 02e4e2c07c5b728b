#!/usr/bin/env bash
# make.sh - how the files beside it were made: by titlecert 0.1.0 (commit dd06abc, the release
# before issuance ran through the workflow), so that tests/migrate_release.sh upgrades a store
# the previous release really wrote. Kept for the record; the tests do not run it.
# usage: make.sh KEYS-0.1.0 ISSUER-0.1.0 DATA_DIR OUT_DIR
set -eu
keys=$(realpath "$1") issuer=$(realpath "$2") data=$(realpath "$3") out=$(realpath "$4")
cd "$out"
export PW='release 0.1.0 fixture passphrase'
P=(--passphrase-env PW)
"$keys" root-create --out root --name root --kdf interactive "${P[@]}"
"$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}"
"$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}"
"$keys" endorse --root root.key --issuer ws.pub --from 2026-01-01 --to 2028-12-31 --region 62 \
  --tracks basic,province,status,register --out ws.end "${P[@]}"
"$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}"
"$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}"
D=(--db gs.db --hash-key store.key "${P[@]}")
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv"
for k in employment assessments ce; do "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv"; done
"$issuer" import "${D[@]}" --key ws.key --root root.pub --trust-list trust.list "$data/samples/gs-results.csv"
"$issuer" revoke "${D[@]}" --reason error 260000002
"$issuer" publish "${D[@]}" --key ws.key --root root.pub --trust-list trust.list --out pub
sqlite3 gs.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1 || true
rm -f root.key ws.end gs.db-wal gs.db-shm
