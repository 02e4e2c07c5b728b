#!/usr/bin/env bash
# migrate_release.sh - a store written by the previous release (titlecert 0.1.0, schema 5; made by
# tests/data/release-0.1.0/make.sh) upgraded by this one: refused until 'migrate', which backs it
# up first; after it every certificate, revocation, audit event and register entry is there, the
# audit chain is intact, the shipped working-day years are in it, a new publication is consistent
# with the one 0.1.0 published (titlecert-register audit), and 'migrate --workflow' turns it, one
# way, into a store that issues only through the workflow. Prints TAP.
# usage: migrate_release.sh KEYS ISSUER VERIFIER REGISTER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") register=$(realpath "$4")
data=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/data/release-0.1.0/." "$work/"
cd "$work" || exit 2
chmod 600 store.key ws.key
cp -r pub pub-0.1.0 # what 0.1.0 published: a status bundle of version 1
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
has "from schema 5 to this release's" out.txt "schema 5 -> 10"
bak=$(ls gs.db.schema5-*.bak 2>/dev/null | head -1)
truth "after a backup of the old store, the owner's only" [ -n "$bak" -a "$(stat -c %a "$bak" 2>/dev/null)" = 600 ]
check "migrating again has nothing to do" 0 "$issuer" migrate --db gs.db
has "it says so" out.txt "schema 10 is current"
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
check "the single-operator store publishes as before" 0 "$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub
check "the new publication is consistent with what 0.1.0 published" 0 "$register" audit --root root.pub --dir pub
check "render writes the certificates again from the store" 0 "$issuer" render "${D[@]}" --out-dir certs \
  --base-url http://127.0.0.1:8080 260000001 260000002
check "a certificate 0.1.0 issued verifies with this release's bundle" 0 "$verifier" verify --root root.pub \
  --bundle pub/bundle.cbor "$(cat certs/260000001.txt)"
check "the one 0.1.0 revoked is revoked" 1 "$verifier" verify --root root.pub --bundle pub/bundle.cbor \
  "$(cat certs/260000002.txt)"
has "revoked" out.txt '"verdict": *"revoked"'
check "this release still reads the bundle 0.1.0 published (version 1, the whole index in it)" 0 \
  "$verifier" verify --root root.pub --bundle pub-0.1.0/bundle.cbor "$(cat certs/260000001.txt)"
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
