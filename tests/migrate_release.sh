#!/usr/bin/env bash
# migrate_release.sh - a store written by the previous release (titlecert 0.1.0, schema 5; made by
# tests/data/release-0.1.0/make.sh) upgraded by this one: refused until 'migrate', which backs it
# up first; after it every certificate, revocation, audit event and register entry is there, the
# audit chain is intact, the shipped working-day years are in it, a new publication is consistent
# with the one 0.1.0 published (titlecert-register audit), a replica holding 0.1.0's bundle
# (version 1) takes the new one (version 2) by its delta, this release still reads 0.1.0's
# bundle, and 'migrate --workflow' turns it, one way, into a store that issues only through the
# workflow. Prints TAP.
# usage: migrate_release.sh KEYS ISSUER VERIFIER REGISTER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") register=$(realpath "$4")
data=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
src="" rep=""
trap 'for p in $rep $src; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$here/data/release-0.1.0/." "$work/"
cd "$work" || exit 2
chmod 600 store.key ws.key
cp -r pub pub-0.1.0 # what 0.1.0 published: a status bundle of version 1
# that bundle is as old as the fixture (made once, 2026-12-06), older than any bundle's maximum
# age after a week: what reads it is told to accept it stale (--stale-ok), as the test is of its
# format, not of its freshness
export PW='release 0.1.0 fixture passphrase'
P=(--passphrase-env PW)
D=(--db gs.db --hash-key store.key "${P[@]}")
T=(--root root.pub --trust-list trust.list)
sum_before=$(python3 -c 'import sqlite3; c=sqlite3.connect("gs.db"); print(c.execute("PRAGMA user_version").fetchone()[0], c.execute("SELECT count(*) FROM certificates").fetchone()[0], c.execute("SELECT count(*) FROM events").fetchone()[0], c.execute("SELECT count(*) FROM register").fetchone()[0])')
truth "the fixture is release 0.1.0's: schema 5, 4 certificates, 10 events, 6 register entries" \
  [ "$sum_before" = "5 4 10 6" ]
check "a command other than migrate refuses the older store" 2 "$issuer" show "${D[@]}" 260000001
has "and says to migrate" err.txt "migrate"
check "migrate upgrades it" 0 "$issuer" migrate --db gs.db
has "from schema 5 to this release's" out.txt "schema 5 -> 11"
bak=$(ls gs.db.schema5-*.bak 2>/dev/null | head -1)
truth "after a backup of the old store, the owner's only" [ -n "$bak" -a "$(stat -c %a "$bak" 2>/dev/null)" = 600 ]
check "migrating again has nothing to do" 0 "$issuer" migrate --db gs.db
has "it says so" out.txt "schema 11 is current"
check "migrate of a store that is not there fails" 2 "$issuer" migrate --db nothere.db
truth "saying only that it is not found (no stray bytes)" \
  [ "$(cat err.txt)" = "titlecert-issuer: nothere.db: not found" ]
truth "and creates nothing" [ ! -e nothere.db ]
check "its audit chain, 0.1.0's events and the migration's, is intact" 0 "$issuer" audit verify "${D[@]}"
check "certificate 260000001 is there, valid" 0 "$issuer" show "${D[@]}" 260000001
has "valid" out.txt "状态      有效"
check "certificate 260000002 is there, revoked as 0.1.0 revoked it" 0 "$issuer" show "${D[@]}" 260000002
has "revoked" out.txt "已撤销（error"
count() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("gs.db").execute(sys.argv[1]).fetchone()[0])' "$1"; }
truth "no certificate and no event was lost" [ "$(count 'SELECT count(*) FROM certificates')" = 4 -a "$(count 'SELECT count(*) FROM events WHERE seq <= 10')" = 10 ]
truth "the register grew by the unit directory's and profile's entries only" [ "$(count 'SELECT count(*) FROM register')" = 8 ]
truth "the shipped working-day years came with the migration" [ "$(count 'SELECT count(*) FROM calendar')" -ge 2 ]
# a replica that holds what 0.1.0 published (version 1) follows it over HTTP
mkdir -p www && cp -r pub-0.1.0 www/pub
python3 "$here/drip_server.py" "$work/www" 0 port.txt "$work/drip.on" "$work/drip.log" 2>/dev/null &
src=$!
for _ in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
for try in 1 2 3 4 5; do
  rport=$((20000 + RANDOM % 20000)) R=http://127.0.0.1:$rport
  (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && continue
  "$verifier" serve --source "http://127.0.0.1:$(cat port.txt)/pub" --poll 0.3 --state st \
    --root root.pub --stale-ok --listen 127.0.0.1:$rport 2>>rep.log &
  rep=$!
  # up when /healthz answers at all: 503 too, which it is while the bundle it serves is stale
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$R/healthz" && break
    kill -0 "$rep" 2>/dev/null || break
    sleep 0.1
  done
  curl -s -o /dev/null --max-time 1 "$R/healthz" && break
  kill -9 "$rep" 2>/dev/null; wait "$rep" 2>/dev/null; rep=""
done
version() { curl -s --max-time 2 "$R/healthz" | sed -n 's/.*"bundle_version":\([0-9]*\).*/\1/p'; }
truth "a replica follows what 0.1.0 published: its bundle, version 1" [ "$(version)" = 1 ]
check "the single-operator store publishes as before" 0 "$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub
has "with a delta from 0.1.0's bundle" out.txt "delta from version 1"
cp -r pub/. www/pub/ && cp pub/head www/pub/head.tmp && mv www/pub/head.tmp www/pub/head
delta_taken() { grep -q "bundle updated by a delta: version 1 -> 2" rep.log; }
for _ in $(seq 1 150); do delta_taken && break; sleep 0.1; done
truth "the replica takes this release's first bundle (version 2, the index in the new layout) by that delta" delta_taken
truth "and serves version 2" [ "$(version)" = 2 ]
kill "$rep" "$src" 2>/dev/null; wait "$rep" "$src" 2>/dev/null; rep="" src=""
check "the new publication is consistent with what 0.1.0 published" 0 "$register" audit --root root.pub --dir pub
check "render writes the certificates again from the store" 0 "$issuer" render "${D[@]}" --out-dir certs \
  --base-url http://127.0.0.1:8080 260000001 260000002
check "a certificate 0.1.0 issued verifies with this release's bundle" 0 "$verifier" verify --root root.pub \
  --bundle pub/bundle.cbor "$(cat certs/260000001.txt)"
check "the one 0.1.0 revoked is revoked" 1 "$verifier" verify --root root.pub --bundle pub/bundle.cbor \
  "$(cat certs/260000002.txt)"
has "revoked" out.txt '"verdict": *"revoked"'
check "this release still reads the bundle 0.1.0 published (version 1, the whole index in it)" 0 \
  "$verifier" verify --root root.pub --stale-ok --bundle pub-0.1.0/bundle.cbor "$(cat certs/260000001.txt)"
has "and finds the certificate in its index, valid" out.txt '"verdict": *"valid"'
check "titlecert-register audit reads that publication too" 0 "$register" audit --root root.pub \
  --dir pub-0.1.0
check "migrate --workflow turns it into a workflow store" 0 "$issuer" migrate "${D[@]}" --workflow
has "and says what comes next" out.txt "account add NAME --roles admin"
check "from then on import is refused" 1 "$issuer" import "${D[@]}" --key ws.key "${T[@]}" \
  "$data/samples/gs-results.csv"
check "the first admin is made on the host" 0 "$issuer" account add admin1 --name 管理员 --roles admin "${D[@]}"
check "the audit chain records the switch" 0 "$issuer" audit verify "${D[@]}"
truth "as an event" [ "$(count "SELECT count(*) FROM events WHERE kind = 'workflow_enabled'")" = 1 ]
finish
