# replica_fixture.sh - sourced by the tests that run verifier replicas (replica.sh,
# publication_chunks.sh): a free port, a verifier started on it, and what it says. Needs:
# verifier; cwd the work directory with root.pub. Sets rep (the pid) and R (its base URL).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }
  done
}
# serve LOG SERVE-OPTIONS...: a verifier on a free port ($R), its standard error appended to LOG;
# 0 once it answers /healthz (within 30 s). Another port when the one tried was taken meanwhile.
serve() {
  local out=$1 try; shift
  for try in 1 2 3 4 5; do
    rport=$(free_port) R=http://127.0.0.1:$rport
    "$verifier" serve "$@" --root root.pub --listen 127.0.0.1:$rport 2>>"$out" &
    rep=$!
    for _ in $(seq 1 300); do
      curl -sf -o /dev/null --max-time 1 "$R/healthz" && return 0
      kill -0 "$rep" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$rep" 2>/dev/null; wait "$rep" 2>/dev/null; rep=""
    grep -q "cannot listen on 127.0.0.1:$rport:" "$out" || return 1
  done
  return 1
}
version() { curl -s --max-time 2 "$R/healthz" | sed -n 's/.*"bundle_version":\([0-9]*\).*/\1/p'; }
# verdict ID: the verdict the verifier gives certs/ID.txt
verdict() {
  curl -s --max-time 5 -H 'Content-Type: application/json' \
    --data "{\"payload\": \"$(cat "certs/$1.txt")\"}" "$R/api/v1/verify" |
    sed -n 's/.*"verdict": *"\([a-z_]*\)".*/\1/p'
}
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local end=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.1; done
}
is_version() { [ "$(version)" = "$1" ]; }
