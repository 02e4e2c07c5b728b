#!/usr/bin/env bash
# publication_chunks.sh - the status bundle's index in chunk files (version 2, docs/FORMAT.md),
# end to end with the real programs: a GS store of more than 65,536 certificates is published,
# and the first 65,536 entries of its index go to a chunk file beside a bundle that stays small;
# `verify --bundle` and `titlecert-register audit` read the chunk from the bundle's directory; a
# verifier following the publication over HTTP fetches the chunk once, keeps it beside its cache,
# verifies a certificate in it and, after a revocation, takes the delta without fetching the
# chunk again, and a restart with the publication down serves from the cache and the kept chunk;
# a chunk file missing or altered is refused; a publication that completes no chunk writes
# none, and one into a directory that lacks the chunk writes it again. Prints TAP.
# usage: publication_chunks.sh KEYS ISSUER VERIFIER REGISTER DATA_DIR
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") register=$(realpath "$4")
data=$(realpath "$5")
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
gs_fixture
# 65,600 more people, so that the index passes 65,536 certificates
python3 "$here/gen_results.py" 65600 1000000 12620102438000123H > big.csv
check "65,600 more certificates imported" 0 "$issuer" import "${D[@]}" --key ws.key "${T[@]}" big.csv
publish() { "$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out "${1:-pub}" >out.txt 2>err.txt; }
truth "the store publishes" publish
chunks() { ls "$1" | grep -cE '^index-[0-9a-f]{64}\.cbor$'; }
truth "the publication holds one chunk file of the index (index-<sha256>.cbor)" [ "$(chunks pub)" = 1 ]
chunk=$(ls pub | grep -E '^index-[0-9a-f]{64}\.cbor$')
truth "the chunk file's name is its SHA-256" \
  [ "index-$(sha256sum "pub/$chunk" | cut -c1-64).cbor" = "$chunk" ]
size=$(stat -c %s pub/bundle.cbor)
truth "the bundle of 65,600+ certificates is small: $size bytes, the index's first 65,536 entries in the chunk" \
  [ "$size" -lt 100000 ]
# ids[1]: a certificate of the sample batch, issued first, so in the first chunk
check "verify --bundle reads the chunk beside the bundle: a certificate in it is valid" 0 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "$(cat "certs/${ids[1]}.txt")"
has "valid" out.txt '"verdict": *"valid"'
check "titlecert-register audit reads it too: the publication is what the register says" 0 \
  "$register" audit --root root.pub --dir pub

# the publication over HTTP, and a verifier following it
rm -f port.txt
python3 "$here/drip_server.py" "$work" 0 port.txt "$work/drip.on" "$work/drip.log" 2>>source.err &
src=$!
for _ in $(seq 1 50); do [ -s port.txt ] && break; sleep 0.1; done
S=http://127.0.0.1:$(cat port.txt 2>/dev/null)/mirror
# the publication reaches the web server's directory as a mirror sync would, one file at a time:
# mirror [EXCEPT-PATTERN...]: every file of pub but those matching a pattern, the head last
mirror() {
  mkdir -p mirror/tile
  cp -r pub/tile/. mirror/tile/
  local f p skip
  for f in pub/*; do
    [ -f "$f" ] && [ "$(basename "$f")" != head ] || continue
    skip=""
    for p in "$@"; do case "$(basename "$f")" in $p) skip=1 ;; esac; done
    [ -n "$skip" ] && continue
    cp "$f" mirror/.tmp && mv mirror/.tmp "mirror/$(basename "$f")"
  done
  cp pub/head mirror/.tmp && mv mirror/.tmp mirror/head
}
mirror
truth "the publication is served" curl -sf -o /dev/null --max-time 2 "$S/head"
stop() { [ -n "$rep" ] && { kill -TERM "$rep" 2>/dev/null; wait "$rep" 2>/dev/null; }; rep=""; }
fetched() { grep -c "^get /mirror/$chunk" drip.log 2>/dev/null; }

truth "a verifier follows the publication over HTTP" serve rep.log --source "$S" --poll 0.3 --state st
truth "it fetched the chunk file once" [ "$(fetched)" = 1 ]
truth "and keeps it beside its cache, the same bytes" cmp -s "pub/$chunk" "st/$chunk"
truth "a certificate in the chunk is valid there" [ "$(verdict "${ids[1]}")" = valid ]
v1=$(version)
"$issuer" revoke "${D[@]}" --reason fraud "${ids[1]}" >/dev/null
truth "a revocation published" publish
truth "which completes no chunk, and writes none" [ "$(chunks pub)" = 1 ]
mirror
v2=$(sed -n 's/^version //p' pub/head)
truth "the verifier takes it (version $v1 -> $v2)" wait_for 15 is_version "$v2"
has "by the delta" rep.log "bundle updated by a delta: version $v1 -> $v2"
truth "without fetching the chunk again" [ "$(fetched)" = 1 ]
truth "the certificate in the chunk is now revoked there" [ "$(verdict "${ids[1]}")" = revoked ]
# a chunk nowhere to be had for a while (files reach a mirror in any order): the replica's own
# copy damaged, the source's not there yet, and no delta to take
flip() { python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[2], "wb").write(b)' "$1" "$2"; }
flip "st/$chunk" st/damaged && mv st/damaged "st/$chunk"
rm -f "mirror/$chunk" mirror/delta-*.cbor
"$issuer" revoke "${D[@]}" --reason fraud "${ids[3]}" >/dev/null
truth "another revocation published" publish
mirror 'index-*' 'delta-*'
v3=$(sed -n 's/^version //p' pub/head)
gets() { grep -c "^get /mirror/bundle.cbor" drip.log; }
g0=$(gets)
sleep 3
g1=$(gets)
truth "while the chunk is nowhere to be had, the replica stays at version $v2" is_version "$v2"
truth "fetching the bundle again later and later, not at every poll ($((g1 - g0)) times in 3 s, polls every 0.3 s)" \
  [ $((g1 - g0)) -ge 1 -a $((g1 - g0)) -le 4 ]
has "saying which chunk, once, and that it is tried again" rep.log "index chunk $chunk: neither in the cache nor at the source yet (tried again later)"
truth "(said once, not at every retry)" [ "$(grep -c "index chunk $chunk" rep.log)" = 1 ]
cp "pub/$chunk" "mirror/$chunk"
truth "once the mirror has it, the replica takes version $v3" wait_for 15 is_version "$v3"
truth "and its damaged copy was replaced by the mirror's" cmp -s "pub/$chunk" "st/$chunk"
stop
head -c 3000000 /dev/zero >> "st/$chunk"
truth "restarted with its kept chunk grown past the limit and the publication up, it starts" \
  serve rep3.log --source "$S" --poll 0.3 --state st
truth "at version $v3, the chunk fetched again" is_version "$v3"
truth "the same bytes as the source's" cmp -s "pub/$chunk" "st/$chunk"
truth "the certificate in the chunk is revoked there" [ "$(verdict "${ids[1]}")" = revoked ]
stop
v2=$v3
kill "$src" 2>/dev/null; wait "$src" 2>/dev/null; src=""
truth "restarted with the publication down, it serves from its cache and the kept chunk" \
  serve rep2.log --source "$S" --poll 0.3 --state st
truth "at version $v2" is_version "$v2"
truth "with the certificate in the chunk revoked" [ "$(verdict "${ids[1]}")" = revoked ]
truth "and one of the sample batch outside the chunk's first entries still valid" \
  [ "$(verdict "${ids[2]}")" = valid ]
stop

# the chunk file missing or altered
mv "pub/$chunk" chunk.keep
check "verify --bundle refuses a bundle whose chunk file is missing" 2 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "$(cat "certs/${ids[2]}.txt")"
has "naming the chunk file, and that it is missing" err.txt "pub/$chunk: .*a chunk file of the status bundle's index is missing"
flip chunk.keep "pub/$chunk"
check "and one whose chunk file was altered (one bit)" 2 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "$(cat "certs/${ids[2]}.txt")"
has "naming it, and that it is not the one the bundle names" err.txt "pub/$chunk: .*is not the one the bundle names"
check "titlecert-register audit refuses it too" 2 "$register" audit --root root.pub --dir pub
has "naming it" err.txt "pub/$chunk: .*is not the one the bundle names"
# a verifier serving the publication's files: a newer bundle whose chunk is not there yet is
# taken once the chunk arrives
mkdir -p files
cp pub/bundle.cbor chunk.keep files/ && mv files/chunk.keep "files/$chunk"
truth "a verifier serves a bundle file with its chunk beside it" serve files.log --bundle files/bundle.cbor --state stf
vf=$(version)
rm -f "files/$chunk"
mkdir -p newer
check "a newer bundle exported" 0 "$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out newer/bundle.cbor
has "saying its index's chunk is beside it" out.txt "its index in 1 chunk files beside it"
cp newer/bundle.cbor files/bundle.cbor.tmp && mv files/bundle.cbor.tmp files/bundle.cbor
sleep 2
truth "the newer bundle, its chunk not there yet, is refused for now (still version $vf)" is_version "$vf"
has "saying the chunk was not found and is tried again" files.log "index chunk $chunk: not found beside the bundle (tried again later)"
cp chunk.keep "files/$chunk"
truth "once the chunk is there, the newer bundle is taken within seconds" wait_for 15 sh -c "[ \"\$(curl -s --max-time 2 $R/healthz | sed -n 's/.*\"bundle_version\":\([0-9]*\).*/\1/p')\" -gt $vf ]"
stop
rm -f "pub/$chunk"
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
truth "a publication into the directory that lacks the chunk" publish
truth "writes it again, the same bytes" cmp -s chunk.keep "pub/$chunk"
truth "into a new directory too" publish pub2
truth "which holds the chunk, the same bytes" cmp -s chunk.keep "pub2/$chunk"
check "and reads" 0 "$register" audit --root root.pub --dir pub2
finish
