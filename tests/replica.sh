#!/usr/bin/env bash
# replica.sh - a verifier replica (serve --source) whose publication is down, slow or hostile:
# the findings 4 to 7 of issue 17, end to end with the real programs. The publication is served
# by tests/drip_server.py on 127.0.0.1, which can be stopped, poisoned, or made to drip.
#  17.5: after a delta the cache holds the bundle in use, and a replica restarted with the
#        publication down serves the current version (before: it refused its own cache, older
#        than its state, as a rollback, and did not start);
#  17.6: a download that does not verify (junk under a head naming its size and hash) leaves the
#        cache as it was, and a restart with the publication down still serves it (before: the
#        cache was overwritten first, and the restart failed);
#  time only moves forward: a bundle with a higher version but issued before the accepted one is
#        refused across a restart (before: accepted); a state file from the release before, without
#        the issued_at line, still loads;
#  A2: a bundle dated an hour ahead of the verifier's clock is refused by `verify --bundle`, by a
#        replica following the publication and by one serving a file, which both try it again
#        later (before: accepted, fresh an hour past the maximum age);
#  17.7: while a download drips one byte at a time the access log is still written, the transfer
#        is abandoned at the low-speed limit, and SIGTERM ends the process within 2 s, flushing
#        the access log (before: the signal loop sat in libcurl for up to 2 minutes);
#  17.4: a bundle signed with a revoked publication key, dated before its revocation and
#        embedding the trust list that revokes it, is refused by a running replica (which keeps
#        its version and cache), by a fresh one and by `verify --bundle`, by the verifier's clock
#        (before the service read bundles by its clock: accepted, and the revocation undone).
# Prints TAP. usage: replica.sh KEYS ISSUER VERIFIER DATA_DIR FORGE
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") data=$(realpath "$4")
forge=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
. "$here/replica_fixture.sh"
work=$(mktemp -d)
src="" rep=""
cleanup() {
  for p in $rep $src; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
today=$(TZ=Asia/Shanghai date +%F)
# the committee key (also the publication key) endorsed from 10 days back, so that a bundle can
# be dated a few days back within its term
GS_ENDORSE_FROM=$(date -d "$today -10 days" +%F) gs_fixture
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 1 >/dev/null

# the publication's server, on a port the system chooses; it drips while drip.on exists
start_source() {
  rm -f port.txt
  python3 "$here/drip_server.py" "$work" 0 port.txt "$work/drip.on" "$work/drip.log" \
    2>>source.err &
  src=$!
  for _ in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
  S=http://127.0.0.1:$(cat port.txt 2>/dev/null)/pub
}
stop_source() { [ -n "$src" ] && { kill "$src" 2>/dev/null; wait "$src" 2>/dev/null; }; src=""; }
start_source
truth "the publication is served" curl -sf -o /dev/null --max-time 2 "$S/head"

# start_replica STATE: a replica following the publication, its standard error in STATE.log
# (`log`), its access log in STATE.access
start_replica() {
  log=$1.log
  serve "$log" --source "$S" --poll 0.3 --state "$1" --access-log "$1.access"
}
# refused DESCRIPTION SERVE-OPTIONS...: `serve` exits 2 before it listens (within 20 s); err.txt
# says why
refused() {
  local desc=$1 try got; shift
  for try in 1 2 3 4 5; do
    timeout 20 "$verifier" serve "$@" --root root.pub --listen 127.0.0.1:$(free_port) \
      >out.txt 2>err.txt
    got=$?
    grep -q "cannot listen on" err.txt || break
  done
  truth "$desc (exit $got, want 2)" [ "$got" = 2 ]
  [ "$got" = 2 ] || sed 's/^/# /' err.txt | head -5 >&2
}
# stop_replica: SIGTERM; how long it took to exit in `took` (seconds), its status in `status`;
# 1 unless it exited 0 within 10 s (then it is killed)
stop_replica() {
  local t0 i
  t0=$(date +%s.%N)
  kill -TERM "$rep" 2>/dev/null
  for i in $(seq 1 200); do kill -0 "$rep" 2>/dev/null || break; sleep 0.05; done
  took=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
  if kill -0 "$rep" 2>/dev/null; then kill -9 "$rep"; wait "$rep" 2>/dev/null; rep=""; return 1; fi
  wait "$rep" 2>/dev/null
  status=$? rep=""
  [ "$status" = 0 ]
}
# write_head FILE VERSION: a head naming FILE as bundle VERSION (no delta), as a host can write
write_head() {
  { printf 'titlecert-head 1\nversion %s\nsha256 %s\nbytes %s\n\n' "$2" \
      "$(sha256sum "$1" | cut -c1-64)" "$(stat -c %s "$1")"
    sed '1,/^$/d' pub/head; } > pub/head.tmp && mv pub/head.tmp pub/head
}
publish() { "$issuer" publish "${D[@]}" --key "${1:-ws.key}" "${T[@]}" --out pub >/dev/null; }

# Each part starts a replica of its own (its own state directory), so that each shows its finding
# alone, also on a release where an earlier part failed.

# 17.5: a delta, then a restart with the publication down
truth "a replica follows the publication" start_replica s5
v1=$(version)
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
publish
v2=$(sed -n 's/^version //p' pub/head)
truth "it takes the revocation (version $v1 -> $v2)" wait_for 10 is_version "$v2"
curl -s --max-time 2 "$R/metrics" > m1.txt
has "as a delta" m1.txt "^titlecert_source_deltas_total 1"
truth "17.5: the cache holds the bundle in use, the delta's full bundle (byte for byte the published one)" \
  cmp -s s5/source.bundle pub/bundle.cbor
truth "and is 0600" [ "$(stat -c %a s5/source.bundle)" = 600 ]
truth "SIGTERM stops the replica" stop_replica
stop_source
truth "17.5: restarted with the publication down, the replica starts" start_replica s5
truth "17.5: and serves the current version $v2, not the last bundle fetched whole" is_version "$v2"
truth "17.5: the revoked certificate is revoked" [ "$(verdict "${ids[2]}")" = revoked ]
truth "it says the publication cannot be had" wait_for 5 grep -q "source: $S/head: " "$log"
stop_replica
start_source

# 17.6: the host turns hostile: junk under a head naming its size and hash, and a newer version
truth "a replica follows the publication" start_replica s6
truth "version $v2" is_version "$v2"
cp pub/bundle.cbor good.bundle && cp pub/head good.head && cp s6/source.bundle cache.before
head -c 5000 /dev/urandom > junk.bundle
cp junk.bundle pub/bundle.cbor && write_head junk.bundle $((v2 + 1))
truth "17.6: the junk is downloaded (its size and hash match the head) and refused" \
  wait_for 10 grep -q "bundle refused, keeping version $v2" "$log"
truth "17.6: the replica keeps serving version $v2" is_version "$v2"
truth "17.6: the cache is intact" cmp -s s6/source.bundle cache.before
stop_replica; stop_source
truth "17.6: a restart with the publication down serves the cache" start_replica s6
truth "17.6: version $v2" is_version "$v2"
stop_replica
cp good.bundle pub/bundle.cbor && cp good.head pub/head
start_source

# time only moves forward: a higher version issued two days before the accepted one
"$forge" redate root.pub ws.key good.bundle early.bundle $((v2 + 1)) $(( $(date +%s) - 2 * 86400 )) \
  2>forge.err
truth "(a bundle of version $((v2 + 1)) dated two days back, signed with the publication key)" [ -s early.bundle ]
truth "a verifier accepts version $v2" serve st.log --bundle good.bundle --state st
stop_replica
has "the state file keeps the accepted bundle's issued_at" "$(ls st/*.state)" "^bundle_issued_at [1-9]"
refused "a newer version issued before the accepted bundle is refused across a restart" \
  --bundle early.bundle --state st
has "saying that time only moves forward" err.txt "issued before the one this verifier has accepted (time only moves forward)"
mkdir -p st-old && sed '/^bundle_issued_at /d' st/*.state > "st-old/$(basename st/*.state)"
truth "a state file from the release before (no issued_at) still loads" \
  serve st.log --bundle early.bundle --state st-old
stop_replica

# A2: a bundle dated an hour ahead of this clock (signed while the publisher's clock ran ahead)
# would stay fresh an hour past the maximum age: refused, and tried again (the same bytes are good
# once the clocks agree), not left until the next publication
"$forge" redate root.pub ws.key good.bundle ahead.bundle $((v2 + 1)) $(( $(date +%s) + 3600 )) \
  2>forge.err
truth "(a bundle of version $((v2 + 1)) dated an hour ahead, signed with the publication key)" \
  [ -s ahead.bundle ]
check "A2: titlecert-verifier verify refuses a bundle dated an hour ahead" 2 \
  "$verifier" verify --root root.pub --bundle ahead.bundle "$(cat "certs/${ids[1]}.txt")"
has "A2: saying so" err.txt "dated more than 10 minutes ahead of this machine's clock"
touch etag.on # the host answers a head it already sent with 304, as a CDN does
truth "a replica follows the publication" start_replica s8
truth "version $v2" is_version "$v2"
cp ahead.bundle pub/bundle.cbor && write_head ahead.bundle $((v2 + 1))
truth "A2: the replica refuses it" \
  wait_for 10 grep -q "bundle refused, keeping version $v2: it is dated more than 10 minutes ahead" "$log"
truth "A2: and fetches it again later, not only at the next head" \
  wait_for 10 sh -c '[ "$(grep -c "it is dated more than 10 minutes ahead" "$1")" -ge 2 ]' _ "$log"
truth "A2: keeping version $v2" is_version "$v2"
# a delta to it bears the same date as its whole bundle: refused too, and the delta is asked for
# again later instead of the whole bundle at once (which would be refused the same way)
"$forge" delta root.pub ws.key pub good.bundle ahead.bundle "pub/delta-$v2.cbor" 2>>forge.err
write_head ahead.bundle $((v2 + 1))
sed -i "5i delta $v2 $(sha256sum "pub/delta-$v2.cbor" | cut -c1-64) $(stat -c %s "pub/delta-$v2.cbor")" pub/head
: > "$log"
truth "A2: a delta dated ahead is refused" \
  wait_for 10 grep -q "delta refused, keeping version $v2: it is dated more than 10 minutes ahead" "$log"
truth "A2: and fetched again later" \
  wait_for 10 sh -c '[ "$(grep -c "fetched the delta $1 -> " "$2")" -ge 2 ]' _ "$v2" "$log"
has_not "A2: not the whole bundle in its place" "$log" "fetched bundle version $((v2 + 1))"
truth "A2: keeping version $v2" is_version "$v2"
stop_replica
rm -f etag.on "pub/delta-$v2.cbor"
cp good.bundle pub/bundle.cbor && cp good.head pub/head
cp good.bundle file.bundle
truth "a verifier serves version $v2 from a file" serve st9.log --bundle file.bundle --state st9
cp ahead.bundle file.bundle
truth "A2: the bundle file dated ahead is refused" \
  wait_for 10 grep -q "bundle refused, keeping version $v2: it is dated more than 10 minutes ahead" st9.log
truth "A2: and read again later although the file did not change" \
  wait_for 12 sh -c '[ "$(grep -c "it is dated more than 10 minutes ahead" "$1")" -ge 2 ]' _ st9.log
stop_replica

# 17.7: the publication drips: one byte every 300 ms
truth "a replica follows the publication" start_replica s7
touch drip.on
"$issuer" revoke "${D[@]}" --reason fraud "${ids[3]}" >/dev/null
publish
v3=$(sed -n 's/^version //p' pub/head)
truth "17.7: version $v3 is published and its download drips" wait_for 10 grep -q '^drip ' drip.log
sleep 0.5
curl -s -o /dev/null --max-time 2 "$R/api/v1/register/checkpoint"
sleep 1
truth "17.7: meanwhile the access log is written (the signal loop is not inside the download)" \
  grep -q " /api/v1/register/checkpoint 200 " s7.access
truth "17.7: and version $v2 is served" is_version "$v2"
truth "17.7: the dripping download is abandoned at the low-speed limit (10 s)" \
  wait_for 14 grep -q "source: $S/delta-$v2.cbor: Timeout was reached" "$log"
truth "17.7: the next download drips too" wait_for 5 sh -c '[ "$(grep -c "^drip " drip.log)" -ge 2 ]'
sleep 1
curl -s -o /dev/null --max-time 2 "$R/api/v1/units/12620102438000123H"
truth "17.7: SIGTERM while it drips" stop_replica
truth "17.7: ends the process in $took s (goal <= 2 s)" awk -v t="$took" 'BEGIN { exit !(t <= 2) }'
has "17.7: with the access log flushed" s7.access " /api/v1/units/{uscc} 200 "
rm -f drip.on

# 17.4: the publication key is rotated and the old one revoked from yesterday; its holder signs a
# newer bundle dated three days back, embedding the trust list that revokes it
truth "a replica follows the publication" start_replica s4
truth "version $v3" wait_for 10 is_version "$v3"
"$keys" issuer-create --out st2 --name 甘肃省人社厅职称证书发布 --kdf interactive "${P[@]}" >/dev/null
"$keys" endorse --root root.key --issuer st2.pub --from "$(date -d "$today -10 days" +%F)" \
  --to "$(date -d "$today +1 year" +%F)" --region 62 --tracks status,register --out st2.end "${P[@]}" >/dev/null
"$keys" revoke --root root.key --kid "$("$keys" show ws.pub | awk 'NR==1{print $4}')" \
  --date "$(date -d "$today -1 day" +%F)" --reason 密钥泄露 --out ws.rev "${P[@]}" >/dev/null
"$keys" trust-list --root root.key --version 2 --out trust2.list ws.end st2.end ws.rev "${P[@]}" >/dev/null
T=(--root root.pub --trust-list trust2.list)
publish st2.key
v4=$(sed -n 's/^version //p' pub/head)
truth "17.4: the publication signed with the new key and trust list 2 is taken (version $v4)" \
  wait_for 10 is_version "$v4"
cp s4/source.bundle cache.v4
"$forge" redate root.pub ws.key pub/bundle.cbor forged.bundle $((v4 + 1)) \
  $(( $(date +%s) - 3 * 86400 )) trust2.list 2>forge.err
truth "(forged: version $((v4 + 1)) signed with the revoked key, dated before its revocation)" [ -s forged.bundle ]
check "17.4: titlecert-verifier verify refuses it too (by the machine's clock)" 2 \
  "$verifier" verify --root root.pub --bundle forged.bundle "$(cat "certs/${ids[1]}.txt")"
cp forged.bundle pub/bundle.cbor && write_head forged.bundle $((v4 + 1))
truth "17.4: the running replica refuses it" \
  wait_for 10 grep -q "bundle refused, keeping version $v4: its signing key is not endorsed.*revoked" "$log"
has "17.4: counting the revocation from its own clock" "$log" "a revocation counts from this verifier's clock"
truth "17.4: it keeps serving version $v4" is_version "$v4"
truth "17.4: with its cache intact" cmp -s s4/source.bundle cache.v4
stop_replica
refused "17.4: a fresh replica (no state) refuses to start on it" --source "$S" --state fresh
has "17.4: saying why" err.txt "the downloaded status bundle: its signing key is not endorsed.*revoked"
stop_source

# under AddressSanitizer a leak or a memory error in any replica shows in its log
truth "no sanitizer report in any verifier's log" sh -c '! grep -l "Sanitizer\|runtime error" *.log'
[ "$failed" = 0 ] || { tail -n 20 s*.log | sed 's/^/# /'; sed 's/^/# source: /' source.err; }
finish
