#!/usr/bin/env bash
# witness_publish.sh - a witnessed register end to end (issue 21): three titlecert-witness
# processes co-sign what `titlecert-issuer publish --witnesses` publishes, and verifiers that
# require a quorum (`titlecert-verifier verify|serve`, `titlecert-register verify|audit|monitor`
# with --witness(es) and --witness-quorum) accept only checkpoints that carry it:
#  1. quorum met: every file of the publication carries the co-signed checkpoint (bundle, delta,
#     head, checkpoint), each co-signature checked by the independent checker (cosig_check.py,
#     Python's cryptography, from the specs), which also refuses altered lines; verifiers with a
#     quorum accept it, a replica takes the next one as a delta;
#  2. a witness down, below the quorum: publish refused, naming the witness and why; not one
#     file of the publication changed, the store kept no version;
#  3. a split view: the store forked, another tree of the same size offered to the same witnesses:
#     each refuses it (409, its evidence kept), so the fork publishes nothing;
#  4. a checkpoint co-signed by one witness: a replica requiring two refuses it (its log, its
#     metric) and keeps serving what it had; `verify --bundle` and titlecert-register refuse it;
#     a verifier without witnesses still accepts it (as before witnesses);
#  5. forged: a witness's line altered in a bundle the publication key signed again: refused by
#     verifiers even with the quorum met by others; an earlier co-signing of the same checkpoint
#     (older co-signature times) refused by a verifier that accepted later ones, across a restart;
#  6. a fresh verifier requiring witnesses does not start on an unwitnessed bundle;
#  7. titlecert-signer (a workflow store) publishes with the witnesses, and refuses below them.
# Prints TAP.
# usage: witness_publish.sh KEYS ISSUER VERIFIER REGISTER WITNESS DATA_DIR FORGE CHECKER SIGNER
set -u
keys=$(realpath "$1") issuer=$(realpath "$2") verifier=$(realpath "$3") register=$(realpath "$4")
witness=$(realpath "$5") data=$(realpath "$6") forge=$(realpath "$7") checker=$(realpath "$8")
signer=$(realpath "$9")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
. "$here/gs_fixture.sh"
. "$here/workflow_lib.sh"
work=$(mktemp -d /tmp/wit2-wp.XXXXXX 2>/dev/null || mktemp -d)
wpid=("" "" "" "") wport=("" "" "" "") src="" rep="" spid=""
cleanup() {
  for p in "${wpid[@]}" $rep $src $spid; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
# the committee key from 60 days before the workflow tests' fixed day (demo_today.sh): the
# workflow store's batch is prepared on its demo clock two weeks before that day (part 7)
. "$here/demo_today.sh" # the workflow part below runs on its day
GS_ENDORSE_FROM=$from gs_fixture
ORIGIN=titlecert.invalid/register/GS

# a free port in 18600-18699, not one handed out already
used=" "
free_port() {
  local p
  for p in $(shuf -i 18600-18699); do
    case "$used" in *" $p "*) continue ;; esac
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    used="$used$p "
    echo "$p"
    return
  done
  echo 18699
}

# the register's verifier key, for the witnesses' configuration: from a first publication
"$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out boot >/dev/null
LOGKEY=$("$register" vkey --root root.pub --dir boot)
echo "log $ORIGIN $LOGKEY" > logs.conf

# start_witness I: witness I (1..3) on its port, its state in wI.state; 0 once it answers
start_witness() {
  local i=$1
  [ -n "${wport[$i]}" ] || wport[$i]=$(free_port)
  "$witness" serve --listen "127.0.0.1:${wport[$i]}" --config logs.conf --state "w$i.state" \
    --key "w$i.key" --passphrase-env PW 2>>"w$i.err" &
  wpid[$i]=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${wport[$i]}/healthz" && return 0
    kill -0 "${wpid[$i]}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_witness() { kill "${wpid[$1]}" 2>/dev/null; wait "${wpid[$1]}" 2>/dev/null; wpid[$1]=""; }

: > witnesses.conf
for i in 1 2 3; do
  "$keys" issuer-create --out "w$i" --name "witness.test/w$i" --kdf interactive "${P[@]}" >/dev/null
  mkdir "w$i.state"
  truth "witness $i starts" start_witness $i
  VK[$i]=$("$witness" vkey --pub "w$i.pub")
  echo "witness witness.test/w$i ${VK[$i]} http://127.0.0.1:${wport[$i]}/" >> witnesses.conf
done
WQ=(--witnesses witnesses.conf)
publish() { # publish QUORUM [DIR]: the store's publication with the witnesses
  "$issuer" publish "${D[@]}" --key ws.key "${T[@]}" --out "${2:-pub}" "${WQ[@]}" \
    --witness-quorum "$1"
}
files_sum() { find "$1" -type f | sort | xargs sha256sum; }
witness_lines() { grep -c "^— witness.test/w" "$1"; }

# ---- 1. quorum met --------------------------------------------------------------------------
check "publish with three witnesses, quorum 2: published" 0 publish 2
has "it names each witness and that it co-signed" out.txt "witness.test/w3: co-signed"
truth "the checkpoint published carries the three co-signatures" [ "$(witness_lines pub/checkpoint)" = 3 ]
sed '1,/^$/d' pub/head > head.note
truth "the head carries the same co-signed checkpoint" cmp -s head.note pub/checkpoint
check "titlecert-register audit: the bundle's checkpoint, the head's and the deltas' are one" 0 \
  "$register" audit --root root.pub --dir pub "${WQ[@]}" --witness-quorum 3
has "and the witnesses' quorum is met (3 of 3)" out.txt "witnesses: 3 of 3 witnesses co-signed"
for i in 1 2 3; do
  check "the independent checker verifies witness $i's co-signature on the published checkpoint" 0 \
    python3 "$checker" "${VK[$i]}" pub/checkpoint pub/checkpoint
done
check "and refuses every alteration of one of them" 0 \
  python3 "$checker" --altered "${VK[1]}" pub/checkpoint pub/checkpoint
check "titlecert-register verify with quorum 3" 0 \
  "$register" verify --root root.pub --dir pub "${WQ[@]}" --witness-quorum 3
check "titlecert-register monitor with two witnesses given one by one, quorum 2" 0 \
  "$register" monitor --root root.pub --dir pub --kid "$("$keys" show ws.pub | grep -o '[0-9a-f]\{16\}' | head -1)" \
  --witness "${VK[1]}" --witness "${VK[2]}" --witness-quorum 2
check "titlecert-verifier verify --bundle with quorum 3: valid" 0 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "${WQ[@]}" --witness-quorum 3 \
  "$(cat "certs/${ids[1]}.txt")"
check "--witness-quorum without witnesses is a usage error" 2 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor --witness-quorum 1 "$(cat "certs/${ids[1]}.txt")"
check "witnesses without --witness-quorum too" 2 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "${WQ[@]}" "$(cat "certs/${ids[1]}.txt")"

# a replica requiring two of the three, following the publication
rm -f port.txt
python3 "$here/drip_server.py" "$work" 0 port.txt "$work/drip.on" "$work/drip.log" 2>source.err &
src=$!
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
S=http://127.0.0.1:$(cat port.txt)/pub
serve() { # serve LOG SERVE-OPTIONS...: a verifier on a free port ($R); 0 once it answers
  local out=$1; shift
  rport=$(free_port) R=http://127.0.0.1:$rport
  "$verifier" serve "$@" --root root.pub --listen "127.0.0.1:$rport" 2>>"$out" &
  rep=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null --max-time 1 "$R/healthz" && return 0
    kill -0 "$rep" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_replica() { kill "$rep" 2>/dev/null; wait "$rep" 2>/dev/null; rep=""; }
version() { curl -s --max-time 2 "$R/healthz" | sed -n 's/.*"bundle_version":\([0-9]*\).*/\1/p'; }
wait_for() { local end=$(($(date +%s) + $1)); shift
  until "$@"; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done; }
is_version() { [ "$(version)" = "$1" ]; }
head_version() { sed -n 's/^version //p' pub/head; }
truth "a replica requiring 2 of the 3 witnesses follows the publication" \
  serve rep.log --source "$S" --poll 0.3 --state rstate "${WQ[@]}" --witness-quorum 2
v1=$(head_version)
truth "and serves its version ($v1)" is_version "$v1"
"$issuer" revoke "${D[@]}" --reason fraud "${ids[2]}" >/dev/null
check "a revocation published with the three witnesses" 0 publish 3
v2=$(head_version)
truth "the replica takes it ($v1 -> $v2)" wait_for 10 is_version "$v2"
curl -s "$R/metrics" > m1.txt
has "as a delta, whose checkpoint is the co-signed one" m1.txt "^titlecert_source_deltas_total [1-9]"
has "nothing refused for want of witnesses" m1.txt "^titlecert_witness_refused_total 0"
has "its state keeps each witness's co-signature time" rstate/*.state "^cosigned witness.test/w1+"

# ---- 2. a witness down: below the quorum ---------------------------------------------------------
stop_witness 3
files_sum pub > before.sum
check "witness 3 down, quorum 3: publish is refused (exit 1)" 1 publish 3
has "the refusal says how many co-signed and that nothing was published" err.txt \
  "co-signed by 2 of 3 witnesses, fewer than the quorum of 3: nothing was published"
has "and names the witness that did not, and why" err.txt "witness.test/w3: not co-signed: .*connect"
files_sum pub > after.sum
truth "not one file of the publication changed" cmp -s before.sum after.sum
check "quorum 2: published, with the two witnesses up" 0 publish 2
v3=$(head_version)
truth "the store kept no version for the refused publication ($v2 -> $v3)" [ "$v3" = $((v2 + 1)) ]
truth "the replica takes it" wait_for 10 is_version "$v3"

# ---- 3. a split view: the store forked ------------------------------------------------------------
truth "witness 3 back, with its state" start_witness 3
check "all three co-sign again (witness 3 from the size it held)" 0 publish 3
sqlite3 gs.db ".backup fork.db"
"$issuer" revoke "${D[@]}" --reason fraud "${ids[3]}" >/dev/null
check "the store publishes its next tree" 0 publish 3
F=(--db fork.db --hash-key store.key "${P[@]}")
"$issuer" revoke "${F[@]}" --reason other "${ids[1]}" >/dev/null
check "the fork offers another tree of the same size: refused (exit 1)" 1 \
  "$issuer" publish "${F[@]}" --key ws.key "${T[@]}" --out forkpub "${WQ[@]}" --witness-quorum 1
has "each witness held the other tree of that size (409): a split view" err.txt \
  "witness.test/w1: not co-signed: 409: it co-signed another tree of [0-9]* entries"
truth "the fork published nothing" [ ! -e forkpub/bundle.cbor ] && [ ! -e forkpub/checkpoint ]
truth "each witness kept the fork's checkpoint as evidence" \
  sh -c 'for i in 1 2 3; do ls w$i.state/*.split-*.note >/dev/null 2>&1 || exit 1; done'

# ---- 4. co-signed by one witness: a verifier requiring two refuses it --------------------------------
v4=$(head_version)
truth "the replica serves version $v4" wait_for 10 is_version "$v4"
stop_witness 2
stop_witness 3
cp pub/bundle.cbor v4.bundle
check "published with quorum 1: co-signed by witness 1 alone" 0 publish 1
v5=$(head_version)
truth "its checkpoint has one co-signature" [ "$(witness_lines pub/checkpoint)" = 1 ]
truth "the replica requiring two refuses version $v5 and says why" \
  wait_for 10 grep -q "lacks the witnesses' quorum: 1 of 3 witnesses co-signed (quorum 2)" rep.log
curl -s "$R/metrics" > m2.txt
has "titlecert_witness_refused_total counts it" m2.txt "^titlecert_witness_refused_total [1-9]"
truth "and it keeps serving version $v4" is_version "$v4"
truth "its cache is still that bundle" cmp -s rstate/source.bundle v4.bundle
stop_replica
check "verify --bundle with quorum 2 refuses it (exit 2)" 2 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "${WQ[@]}" --witness-quorum 2 \
  "$(cat "certs/${ids[1]}.txt")"
has "naming who did not co-sign" err.txt "witness.test/w2 no co-signature"
check "titlecert-register verify with quorum 2 refuses it (exit 1)" 1 \
  "$register" verify --root root.pub --dir pub "${WQ[@]}" --witness-quorum 2
check "titlecert-register audit too" 1 \
  "$register" audit --root root.pub --dir pub "${WQ[@]}" --witness-quorum 2
check "a verifier without witnesses accepts it, as before witnesses" 0 \
  "$verifier" verify --root root.pub --bundle pub/bundle.cbor "$(cat "certs/${ids[1]}.txt")"

# ---- 5. forged and older co-signatures -------------------------------------------------------------
truth "witness 2 back" start_witness 2
truth "witness 3 back" start_witness 3
check "the three co-sign the same checkpoint" 0 publish 3
cp pub/checkpoint t1.note
cp pub/bundle.cbor t1.bundle
sleep 1.1
check "and again a second later (the same tree: newer co-signatures)" 0 publish 3
v6=$(head_version)
cp pub/bundle.cbor live.bundle
rm -rf fstate
truth "a verifier requiring 2 serves the newest (version $v6) from a file" \
  serve file.log --bundle live.bundle --state fstate "${WQ[@]}" --witness-quorum 2
truth "(version $v6)" is_version "$v6"
# witness 1's line with one signature bit flipped, in a bundle the publication key signs again
awk '/^— witness.test\/w1 / { n = length($3); c = substr($3, n - 5, 1);
       $0 = $1 " " $2 " " substr($3, 1, n - 6) (c == "A" ? "B" : "A") substr($3, n - 4) } 1' \
  pub/checkpoint > forged.note
check "forge: bundle $((v6 + 1)) with witness 1's line altered" 0 \
  "$forge" renote root.pub ws.key pub/bundle.cbor forged.bundle $((v6 + 1)) forged.note
cp forged.bundle live.bundle.tmp && mv live.bundle.tmp live.bundle
truth "the verifier refuses it: a forged line, although witnesses 2 and 3 make the quorum" \
  wait_for 10 grep -q "witness.test/w1 a co-signature that does not verify" file.log
truth "and keeps serving version $v6" is_version "$v6"
check "verify --bundle refuses it too" 2 \
  "$verifier" verify --root root.pub --bundle forged.bundle "${WQ[@]}" --witness-quorum 1 \
  "$(cat "certs/${ids[1]}.txt")"
check "forge: bundle $((v6 + 2)) carrying the earlier co-signing of the same checkpoint" 0 \
  "$forge" renote root.pub ws.key pub/bundle.cbor older.bundle $((v6 + 2)) t1.note
stop_replica
cp older.bundle live.bundle
check "after a restart, a verifier that accepted the newer co-signatures refuses it (exit 2)" 2 \
  timeout 20 "$verifier" serve --bundle live.bundle --state fstate --root root.pub \
  --listen "127.0.0.1:$(free_port)" "${WQ[@]}" --witness-quorum 2
has "older than one accepted before" err.txt "witness.test/w1 a co-signature older than one accepted before"
check "a fresh verifier accepts that bundle (the times are all it lacks)" 0 \
  "$verifier" verify --root root.pub --bundle older.bundle "${WQ[@]}" --witness-quorum 3 \
  "$(cat "certs/${ids[1]}.txt")"

# ---- 6. a fresh verifier requiring witnesses and an unwitnessed bundle -----------------------------
check "a fresh verifier requiring one witness does not start on an unwitnessed bundle" 2 \
  timeout 20 "$verifier" serve --bundle boot/bundle.cbor --state fresh --root root.pub \
  --listen "127.0.0.1:$(free_port)" "${WQ[@]}" --witness-quorum 1
has "and says so" err.txt "lacks the witnesses' quorum: 0 of 3 witnesses co-signed (quorum 1)"

# ---- 7. the signer of a workflow store ----------------------------------------------------------
# another register (its own origin, the same key): the witnesses are told its verifier key
WFO=titlecert.invalid/register/GS-workflow
wpk=$("$keys" show ws.pub | sed -n 's/^ *public key: *//p')
WFKEY=$(python3 -c 'import base64, hashlib, sys
n, pk = sys.argv[1], bytes.fromhex(sys.argv[2])
kid = hashlib.sha256(n.encode() + b"\n\x01" + pk).digest()[:4].hex()
print(n + "+" + kid + "+" + base64.b64encode(b"\x01" + pk).decode())' "$WFO" "$wpk")
echo "log $WFO $WFKEY" >> logs.conf
for i in 1 2 3; do stop_witness $i; truth "witness $i restarted with the second register" start_witness $i; done
D=(--db wf.db --hash-key store.key "${P[@]}")
PREP=(--issuer-pub ws.pub "${T[@]}")
"$issuer" init --db wf.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" --demo >/dev/null
"$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null 2>&1
for k in employment assessments ce; do
  "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null 2>&1
done
wf_accounts
sock=$work/s.sock
SV=(serve --socket "$sock" --db wf.db --hash-key store.key --key ws.key --publication-key ws.key
    "${T[@]}" --publish-dir wfpub --origin "$WFO" --state signer.state --demo)
check "the signer refuses witnesses without a quorum" 2 timeout 10 "$signer" "${SV[@]}" "${WQ[@]}"
has "saying what is missing" err.txt "witness-quorum"
# the signer runs from the 公示 on (it dates a 公示 from when it sees it), on the demo clock file
export WF_CLOCK=$work/wf.clock WF_SOCKET=$sock TITLECERT_DEMO_CLOCK=@$work/wf.clock
echo 0 > "$WF_CLOCK"
"$signer" "${SV[@]}" "${WQ[@]}" --witness-quorum 2 2>signer.log &
spid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
b=$(WF_OUT=wfgongshi wf_approved "$data/samples/gs-results.csv" 2026年第一批)
truth "a batch of the workflow store is approved" [ -n "$b" ]
printf '%s\n' "$PW" > pass.txt && chmod 600 pass.txt
check "the custodian unlocks the signer" 0 "$issuer" signer unlock --socket "$sock" $(wf_as carol) \
  --passphrase-file pass.txt --minutes 10
check "it signs the batch" 0 "$issuer" batch sign "$b" --socket "$sock" $(wf_as carol)
check "signer publish: the witnesses co-sign" 0 "$issuer" signer publish --socket "$sock" $(wf_as carol)
has "the answer names who co-signed" out.txt '"cosigned_by":\["witness.test/w1","witness.test/w2","witness.test/w3"\]'
truth "the workflow store's checkpoint carries the three co-signatures" [ "$(witness_lines wfpub/checkpoint)" = 3 ]
check "titlecert-register audit of it with quorum 3" 0 \
  "$register" audit --root root.pub --dir wfpub "${WQ[@]}" --witness-quorum 3
stop_witness 2
stop_witness 3
files_sum wfpub > before.sum
check "two witnesses down: signer publish is refused (exit 1)" 1 \
  "$issuer" signer publish --socket "$sock" $(wf_as carol)
has "the answer names each witness and why" err.txt "witness.test/w2: not co-signed: .*connect"
files_sum wfpub > after.sum
truth "and the publication is as it was" cmp -s before.sum after.sum
kill "$spid"; wait "$spid" 2>/dev/null; spid=""
finish
