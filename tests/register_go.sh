#!/usr/bin/env bash
# register_go.sh - Go's reference implementation of signed notes and tiled logs
# (golang.org/x/mod/sumdb/note and .../tlog, Debian's golang-golang-x-mod-dev, GOPATH mode)
# checks titlecert's register, and titlecert checks Go's (rule A3):
#  1. a 10,000-leaf register written by titlecert: Go opens the signed checkpoint, authenticates
#     every tile against its root, proves every leaf, checks consistency between random sizes,
#     and checks titlecert's own inclusion proof of every leaf and 300 consistency proofs;
#  2. a real publication (titlecert-issuer publish of the sample batch), with the verifier key
#     titlecert-register vkey prints: the same checks;
#  3. a Go-signed checkpoint and Go's proofs: titlecert's verifier functions accept them.
# Skips, saying so, only where Go or the x/mod sources are absent (scripts/deps.sh test installs
# them). Prints TAP. usage: register_go.sh KEYS ISSUER VERIFIER REGISTER DATA_DIR PEER
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") reg=$(realpath "$4")
data=$(realpath "$5") peer=$(realpath "$6")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
gopath=/usr/share/gocode
if ! command -v go >/dev/null || [ ! -d "$gopath/src/golang.org/x/mod/sumdb/tlog" ]; then
  echo "ok 1 - Go cross-check # SKIP go or golang.org/x/mod is not installed (apt install golang-go golang-golang-x-mod-dev; scripts/deps.sh test does)"
  echo "1..1"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
check "the Go peer builds against Debian's golang.org/x/mod (GOPATH mode)" 0 \
  env GO111MODULE=off GOPATH="$gopath" GOCACHE="$work/gocache" GOFLAGS= go build -o tlogpeer \
  "$here/go/tlogpeer/main.go"

check "titlecert writes a 10,000-leaf register, its checkpoint and its proofs" 0 "$peer" write ours 10000
check "Go: note.Open, the tiles, every leaf, consistency, and titlecert's proofs" 0 \
  ./tlogpeer check ours "$(cat ours/vkey)" ours/proofs
has "note.Open verified the checkpoint" out.txt "^note.Open: checkpoint of titlecert.invalid/register/go-peer, 10000 entries"
has "all 10,000 entries proved with tlog.ProveRecord and CheckRecord" out.txt "all 10000 entries proved and checked"
has "200 consistency proofs with ProveTree and CheckTree" out.txt "200 consistency proofs"
has "titlecert's 10,000 inclusion and 300 consistency proofs pass CheckRecord and CheckTree" out.txt \
  "titlecert's 10000 inclusion and 300 consistency proofs pass"

gs_fixture
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out pub --batch 1 >/dev/null
"$reg" vkey --root root.pub --dir pub > pub.vkey
check "Go checks a real publication of titlecert-issuer publish, with titlecert-register's vkey" 0 \
  ./tlogpeer check pub "$(cat pub.vkey)"
has "its checkpoint opens" out.txt "^note.Open: checkpoint of titlecert.invalid/register/GS"
cp pub/checkpoint bad.cp && sed -i '2s/.*/9/' bad.cp && mkdir -p badpub && cp -r pub/tile bad.cp badpub/ && mv badpub/bad.cp badpub/checkpoint
check "Go refuses a checkpoint whose size was changed after signing" 1 ./tlogpeer check badpub "$(cat pub.vkey)"

check "Go writes a checkpoint it signs and its proofs" 0 ./tlogpeer write theirs 5000
check "titlecert opens Go's signed note and verifies Go's proofs" 0 "$peer" check theirs
has "the Go note verifies with tc_note_open" out.txt "^tc_note_open: Go's note of go.example/peer-log, 5000 leaves"
has "and all of Go's proofs with no failure" out.txt "Go's 300 inclusion and 300 consistency proofs verify, and altered ones do not (0 failures)"
finish
