#!/usr/bin/env bash
# witness.sh - titlecert-witness end to end, with curl as the log (C2SP tlog-witness):
#  1. a witness with a key file: add-checkpoint sequences co-signed, each answer checked by
#     titlecert (witness_log check) and by an independent checker written from the specs with
#     Python's cryptography (cosig_check.py), which also refuses every altered line;
#  2. the refusals with the spec's codes: 409 with the size held as text/x.tlog.size, the split
#     view (tree b at and beyond the size co-signed from tree a; the log's other checkpoint of
#     that size kept as evidence), 404 unknown origin, 403 a signature by another key, 422 a
#     bad proof, 400 malformed bodies, 413, 405;
#  3. a restart keeps the state; a second witness on the same state directory is refused;
#  4. kill -9: two clients race trees a and b (a split view from leaf 7 on) while the witness
#     is killed at random instants and restarted, again and again. Every co-signature returned
#     is logged; afterwards no size has two roots, every state read after a restart is a
#     checkpoint of one of the trees at least as large as every co-signature returned before
#     the kill, and no temporary file is left; then gdb kills it at the two instants that
#     matter, inside the state write and between the write and the signature;
#  5. a witness key on a PKCS#11 token (SoftHSM2), when its tools are installed.
# Prints TAP. Arguments: titlecert-keys titlecert-witness witness_log cosig_check.py [MODULE]
set -u
keys=$(realpath "$1") witness=$(realpath "$2") wlog=$(realpath "$3") checker=$(realpath "$4")
module=${5:-}
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
pids=()
cleanup() {
  touch "$work/stop"
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
ORIGIN=titlecert.invalid/register/witness-test
export PW='witness test passphrase'

# a free port in 18500-18599
free_port() {
  local p
  for p in $(shuf -i 18500-18599); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 18599
}
# start NAME ARGS...: a witness in the background on a new port; its pid in $wpid, $url
start() {
  local name=$1; shift
  port=$(free_port)
  url=http://127.0.0.1:$port
  "$witness" serve --listen "127.0.0.1:$port" "$@" >"$name.out" 2>"$name.err" &
  wpid=$!
  pids+=("$wpid")
  for _ in $(seq 100); do
    # 200 from this witness: one that could not bind its port has exited, and the answer came
    # from whatever else took the port meanwhile
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] &&
      { sleep 0.05; kill -0 "$wpid" 2>/dev/null && return 0 || return 1; }
    kill -0 "$wpid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop() { kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; }
# post BODY-FILE: the answer in ans.txt, the status in $code, the Content-Type in $ctype
post() {
  code=$(curl -s -o ans.txt -D hdr.txt -w '%{http_code}' --max-time 10 --data-binary "@$1" \
    "$url/add-checkpoint")
  ctype=$(tr -d '\r' < hdr.txt | sed -n 's/^Content-Type: //Ip' | head -1)
}
status_is() { # status_is DESCRIPTION WANT BODY-FILE
  post "$3"
  n=$((n + 1))
  if [ "$code" = "$2" ]; then echo "ok $n - $1"; else
    { echo "not ok $n - $1 (HTTP $code, want $2)"; sed 's/^/# /' ans.txt; } | both
    failed=$((failed + 1)); fi
}

"$keys" issuer-create --out wit --name witness.test/w1 --kdf interactive --passphrase-env PW \
  >/dev/null
echo "log $ORIGIN $("$wlog" vkey)" > logs.conf
mkdir state
check "vkey prints the witness's verifier key" 0 "$witness" vkey --pub wit.pub
WVKEY=$(cat out.txt)
has "name+hex8+base64 with signature type 0x04" out.txt '^witness.test/w1+[0-9a-f]\{8\}+B'
check "vkey reads a key file's public half without its passphrase" 0 "$witness" vkey --key wit.key
truth "the same key" [ "$(cat out.txt)" = "$WVKEY" ]
printf '# x\nlog %s nokey\n' "$ORIGIN" > bad.conf
check "a configuration that is wrong is refused, naming the line" 2 timeout 10 "$witness" serve \
  --config bad.conf --state state --key wit.key --passphrase-env PW
has "line 2" err.txt "line 2"
truth "the witness starts with a key file" start w1 --config logs.conf --state state \
  --key wit.key --passphrase-env PW --access-log access.log

# ---- 1. co-signing ----------------------------------------------------------------------------
cosigned() { # cosigned DESCRIPTION TREE OLD NEW: posted, 200, and both checkers verify the line
  "$wlog" body --tree "$2" "$3" "$4" > req
  "$wlog" note --tree "$2" "$4" > note.txt
  status_is "$1" 200 req
  check "titlecert verifies the co-signature on the checkpoint of size $4" 0 \
    "$wlog" check "$WVKEY" --tree "$2" "$4" ans.txt
  cp out.txt last.check
  check "the independent checker (Python cryptography, from the spec) verifies it" 0 \
    python3 "$checker" "$WVKEY" note.txt ans.txt
}
cosigned "old 0 -> 5: co-signed (200)" a 0 5
truth "the answer is one signature line, text/plain" [ "$(wc -l < ans.txt)" = 1 ] 
has "starting with the em dash and the witness's name" ans.txt "^— witness.test/w1 "
check "the independent checker refuses every alteration of the line and of the checkpoint" 0 \
  python3 "$checker" --altered "$WVKEY" note.txt ans.txt
has "(608 bit flips, the text, the name, the timestamp dropped or too large, a truncated line)" \
  out.txt "^[0-9]* alterations, \([0-9]*\) refused$"
cosigned "5 -> 9: co-signed with a consistency proof" a 5 9
cosigned "9 -> 9 again: the checkpoint held is co-signed again" a 9 9
t1=$(cut -d' ' -f1 last.check)
cosigned "9 -> 300: a long proof" a 9 300
truth "a later co-signature is not older" [ "$(cut -d' ' -f1 last.check)" -ge "$t1" ]
"$wlog" body --tree a 300 301 > req
post req
check "and a line for another checkpoint does not verify on it" 1 "$wlog" check "$WVKEY" --tree a 300 ans.txt

# ---- 2. refusals ------------------------------------------------------------------------------
"$wlog" body --tree a 5 320 > req
status_is "an old size that is not the size held: 409" 409 req
truth "with Content-Type text/x.tlog.size" [ "$ctype" = "text/x.tlog.size" ]
truth "and the size held as the body, \"301\\n\"" [ "$(cat ans.txt)" = 301 ]
truth "(exactly: digits and a newline)" [ "$(od -An -c ans.txt | tr -d ' ')" = '301\n' ]
"$wlog" body --tree a 0 320 > req
status_is "old 0 learns the size held: 409" 409 req
"$wlog" body --tree b 301 301 > req
status_is "split view: tree b at the size co-signed from tree a: 409" 409 req
ev=$(ls state/log-*.split-301-*.note 2>/dev/null | head -1)
truth "the checkpoint of tree b, signed by the log, is kept as evidence beside the state" \
  test -n "$ev"
has "it is tree b's checkpoint of size 301" "${ev:-/dev/null}" "^$("$wlog" root --tree b 301)$"
has "with the log's signature line" "${ev:-/dev/null}" "^— $ORIGIN "
"$wlog" body --tree b 301 320 > req
status_is "split view: tree b beyond it: 422 (its proof is not from a's tree)" 422 req
"$wlog" body --origin other.example/log 301 320 > req
status_is "an origin the witness does not follow: 404" 404 req
"$wlog" body --key-seed 1 301 320 > req
status_is "a checkpoint signed by another key under the log's name: 403" 403 req
"$wlog" body --flip-proof 301 320 > req
status_is "a consistency proof with one bit changed: 422" 422 req
"$wlog" body --say-old 400 301 320 > req
status_is "an old size above the checkpoint's: 400" 400 req
"$wlog" body --extension 301 320 > req
status_is "a checkpoint with an extension line: 400" 400 req
printf 'hello\n' > req
status_is "a body that is not a request: 400" 400 req
{ echo "old 301"; for _ in $(seq 64); do echo "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; done
  echo; "$wlog" note 320; } > req
status_is "64 proof lines: 400" 400 req
head -c 20000 /dev/zero | tr '\0' 'A' > req
status_is "a body over the limit: 413" 413 req
n=$((n + 1))
c405=$(curl -s -o /dev/null -w '%{http_code}' "$url/add-checkpoint")
if [ "$c405" = 405 ]; then echo "ok $n - GET /add-checkpoint: 405"; else
  echo "not ok $n - GET /add-checkpoint: $c405" | both; failed=$((failed + 1)); fi
check "the state after the refusals: still 301" 0 "$witness" status --config logs.conf --state state
has "status prints origin, size, root and time" out.txt "^$ORIGIN 301 $("$wlog" root 301) 20[0-9-]*T"
curl -s "$url/metrics" > metrics.txt
has "metrics count the results" metrics.txt 'titlecert_witness_requests_total{result="cosigned"} 5'
has "conflicts among them" metrics.txt 'titlecert_witness_requests_total{result="conflict"} 3'
has "and the split view" metrics.txt '^titlecert_witness_split_views_total 1$'

# ---- 3. restart --------------------------------------------------------------------------------
check "a second witness on the same state directory is refused" 2 timeout 10 "$witness" serve \
  --config logs.conf --state state --key wit.key --passphrase-env PW --listen "127.0.0.1:$(free_port)"
has "saying another witness uses it" err.txt "another witness is using this state directory"
stop
has "the access log names the route and the result, not the body" access.log \
  "add-checkpoint 200 cosigned 300 "
truth "the witness restarts on its state" start w1b --config logs.conf --state state \
  --key wit.key --passphrase-env PW
"$wlog" body --tree b 301 301 > req
status_is "after the restart, tree b at 301 is still refused: 409" 409 req
truth "with the size held, 301" [ "$(cat ans.txt)" = 301 ]
cosigned "and tree a goes on: 301 -> 310" a 301 310
stop

# ---- 4. kill -9 --------------------------------------------------------------------------------
# Two clients race trees a and b from an empty state: they agree on 7 leaves, then split. Each
# posts from the size it last heard of (a 409 tells it the size held), and logs every
# co-signature the witness returns, verified, as "size root tree". The witness is killed with
# SIGKILL at a random instant, its state read, and restarted, 12 times.
mkdir kstate
: > cosigs.log
client() { # client TREE
  local tree=$1 old=0 new code out
  while [ ! -e stop ]; do
    new=$((old + RANDOM % 6))
    [ "$new" -gt 2000 ] && new=2000
    "$wlog" body --tree "$tree" "$old" "$new" > "req.$tree" || { old=0; continue; }
    # an answer cut short (the witness killed while it was being sent, or --max-time) is no
    # answer: curl still prints the 200 it read first, so its exit status says whether it came whole
    code=$(curl -s -o "ans.$tree" -w '%{http_code}' --max-time 5 --data-binary "@req.$tree" \
      "http://127.0.0.1:$(cat kport)/add-checkpoint") || code=cut
    case $code in
      200) if out=$("$wlog" check "$WVKEY" --tree "$tree" "$new" "ans.$tree"); then
             echo "$new ${out#* } $tree" >> cosigs.log
           else echo "UNVERIFIED $new $tree" >> cosigs.log; fi
           old=$new ;;
      409) old=$(tr -dc 0-9 < "ans.$tree"); old=${old:-0} ;;
      422) sleep 0.02 ;;
      *) sleep 0.05 ;;
    esac
  done
}
klog=kill.log
kstart() {
  start k --config logs.conf --state kstate --key wit.key --passphrase-env PW || return 1
  echo "$port" > kport
}
kstart
client a & ca=$!
client b & cb=$!
pids+=("$ca" "$cb")
rounds=12 states_ok=0 behind=0 ahead=0 prev=0
for r in $(seq $rounds); do
  sleep "0.$((RANDOM % 6 + 1))"
  kill -9 "$wpid"; wait "$wpid" 2>/dev/null
  sleep 0.3 # a client that had its answer logs it
  # what was returned before the kill, and what the state says after it
  maxret=$(awk '$1 ~ /^[0-9]+$/ { if ($1 > m) m = $1 } END { print m + 0 }' cosigs.log)
  if "$witness" status --config logs.conf --state kstate > "status.$r" 2>&1; then
    read -r _ ssize sroot _ < "status.$r"
    if [ "$ssize" = 0 ] || [ "$sroot" = "$("$wlog" root --tree a "$ssize")" ] ||
       [ "$sroot" = "$("$wlog" root --tree b "$ssize")" ]; then
      states_ok=$((states_ok + 1))
    fi
    [ "$ssize" -lt "$maxret" ] && behind=$((behind + 1))
    [ "$ssize" -gt "$maxret" ] && [ "$ssize" != "$prev" ] && ahead=$((ahead + 1))
    prev=$ssize
  fi
  echo "round $r: state $(cat "status.$r"), largest returned $maxret" >> "$klog"
  kstart || break
done
touch stop
wait "$ca" "$cb" 2>/dev/null
stop
returned=$(grep -c '^[0-9]' cosigs.log)
# the kills came between real work: at least one co-signature returned per round on average (the
# two racing clients lose many races to 409 and wait for each restart, more so on a busy machine)
truth "the clients got co-signatures through the kills ($returned, at least $rounds)" \
  [ "$returned" -ge "$rounds" ]
truth "every co-signature returned verifies" bash -c "! grep -q UNVERIFIED cosigs.log"
truth "after each of the $rounds kills the state is a checkpoint of tree a or b" \
  [ "$states_ok" = "$rounds" ]
truth "never behind a co-signature returned before the kill" [ "$behind" = 0 ]
# (over the co-signatures that verified: an UNVERIFIED line fails the truth above on its own)
split=$(awk '$1 ~ /^[0-9]+$/ { if (($1 in r) && r[$1] != $2) s++; r[$1] = $2 } END { print s + 0 }' cosigs.log)
truth "no size was ever co-signed with two roots ($split)" [ "$split" = 0 ]
sizes_b=$(awk '$1 ~ /^[0-9]+$/ && $3 == "b" && $1 + 0 > 7' cosigs.log | wc -l)
sizes_a=$(awk '$1 ~ /^[0-9]+$/ && $3 == "a" && $1 + 0 > 7' cosigs.log | wc -l)
truth "past size 7 (where the trees part) only one tree was ever co-signed (a: $sizes_a, b: $sizes_b)" \
  [ $((sizes_a * sizes_b)) = 0 ]
truth "no temporary file is left in the state directory" \
  bash -c "[ -z \"\$(ls kstate | grep tmp)\" ]"
sed 's/^/# /' "$klog"
# a state ahead of every answer: the kill came after the state was written and before the answer
# left (that co-signature was never returned, and the next request is judged from the state)
echo "# $ahead of $rounds kills came between a state write and its answer"

# ---- 4b. kill -9 at the two instants that matter -----------------------------------------------
# gdb stops the witness inside an add-checkpoint and kills it (SIGKILL): once in the middle of
# the state write (tc_file_commit: the new state is in its temporary file, not renamed), once
# after the state write and before the signature (tc_signer_sign). The sender gets no answer
# either time; what the witness holds afterwards decides what it co-signs next.
gdb_kill() { # gdb_kill FUNCTION TREE OLD NEW: the witness on gstate, killed in FUNCTION
  local p; p=$(free_port)
  timeout 120 gdb -q -batch -ex 'set breakpoint pending on' -ex "break $1" -ex run -ex kill \
    --args "$witness" serve --config logs.conf --state gstate --key wit.key \
    --passphrase-env PW --listen "127.0.0.1:$p" > "gdb.$1.txt" 2>&1 &
  local g=$!
  pids+=("$g")
  for _ in $(seq 300); do
    curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break
    sleep 0.1
  done
  "$wlog" body --tree "$2" "$3" "$4" > req
  gcode=$(curl -s -o ans.txt -w '%{http_code}' --max-time 60 --data-binary @req \
    "http://127.0.0.1:$p/add-checkpoint")
  wait "$g"
  grep -q "Breakpoint 1, .*$1" "gdb.$1.txt"
}
if command -v gdb >/dev/null; then
  mkdir gstate
  truth "gdb kills the witness in the middle of writing the state for tree a's 10" \
    gdb_kill tc_file_commit a 0 10
  truth "the sender got no answer" [ "$gcode" = 000 ]
  check "the state still holds nothing" 0 "$witness" status --config logs.conf --state gstate
  has "(size 0, none)" out.txt "^$ORIGIN 0 - none$"
  truth "the temporary file of the interrupted write is there" \
    bash -c "ls gstate | grep -q '\.tmp\.'"
  truth "the witness restarts" start g1 --config logs.conf --state gstate --key wit.key \
    --passphrase-env PW
  truth "and sweeps the temporary file" bash -c "! ls gstate | grep -q '\.tmp\.'"
  "$wlog" body --tree b 0 10 > req
  status_is "nothing was co-signed for a's 10, so tree b's 10 is co-signed" 200 req
  stop
  truth "gdb kills the witness after it wrote b's 20, before it signed" \
    gdb_kill tc_signer_sign b 10 20
  truth "the sender got no answer" [ "$gcode" = 000 ]
  check "the state holds b's 20, recorded but never co-signed" 0 "$witness" status \
    --config logs.conf --state gstate
  has "(its root)" out.txt "^$ORIGIN 20 $("$wlog" root --tree b 20) "
  truth "the witness restarts" start g2 --config logs.conf --state gstate --key wit.key \
    --passphrase-env PW
  "$wlog" body --tree a 10 20 > req
  status_is "tree a from 10: 409, the size held is 20" 409 req
  truth "(20)" [ "$(cat ans.txt)" = 20 ]
  "$wlog" body --tree a 20 20 > req
  status_is "tree a's 20: 409, a split view of the tree recorded" 409 req
  "$wlog" body --tree b 20 20 > req
  status_is "b's 20, sent again: co-signed" 200 req
  check "and it verifies" 0 "$wlog" check "$WVKEY" --tree b 20 ans.txt
  stop
else
  n=$((n + 1)); echo "ok $n - kill -9 inside an add-checkpoint # SKIP gdb is not installed"
fi

# ---- 5. PKCS#11 --------------------------------------------------------------------------------
if [ -n "$module" ] && [ -e "$module" ] && command -v softhsm2-util >/dev/null &&
   command -v pkcs11-tool >/dev/null; then
  mkdir tokens
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$work" > softhsm2.conf
  export SOFTHSM2_CONF=$work/softhsm2.conf PIN='4711-0815-pin'
  softhsm2-util --init-token --free --label wit-token --so-pin so-pin-1234 --pin "$PIN" >/dev/null
  check "pkcs11-tool makes the witness's Ed25519 key on a token" 0 pkcs11-tool --module "$module" \
    --token-label wit-token --login --pin "$PIN" --keypairgen --key-type EC:edwards25519 \
    --label witness-2026 --id 01
  check "titlecert-keys token-pub exports its public half" 0 "$keys" token-pub --module "$module" \
    --token wit-token --key witness-2026 --kind issuer --name witness.test/hsm --out hsm.pub \
    --pin-env PIN
  "$witness" vkey --pub hsm.pub > hsm.vkey
  WVKEY=$(cat hsm.vkey)
  truth "the witness serves with the token's key" start p11 --config logs.conf --state p11state \
    --pkcs11-module "$module" --token wit-token --key-label witness-2026 --name witness.test/hsm \
    --pin-env PIN
  cosigned "the token's key co-signs old 0 -> 12" a 0 12
  has "as witness.test/hsm" ans.txt "^— witness.test/hsm "
  stop
else
  n=$((n + 1)); echo "ok $n - PKCS#11 witness key # SKIP softhsm2 or opensc is not installed"
fi
finish
