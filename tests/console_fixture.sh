# console_fixture.sh - sourced by the console's tests: a demo workflow store built through the real
# programs (keys, the unit directory and records, two admins bootstrapped on the host), and the
# services of a department: titlecert-signer on its socket, titlecert-console and, once something
# is published, titlecert-verifier serving the publication. Every service runs under `timeout`,
# so that it stops by itself even when the test that started it is killed; stop_services stops
# them at once. The store's clock follows the file $work/clock (TITLECERT_DEMO_CLOCK=@FILE): write
# -14 into it for the 公示, 0 for today, without restarting anything.
# Needs: keys, issuer, signer, console, verifier (programs), data (data/), src (the source tree),
# cwd the work directory. Ports are taken from TC_TEST_PORTS (default 20000-39999).
# Sets: D, T (issuer options), sock, CONSOLE_URL; writes keys.pass and admin2.pw (mode 0600),
# admin1.code (admin1's enrolment code).
cf_pids=()
export PW='console test passphrase'
P=(--passphrase-env PW)

console_fixture() {
  local today from to
  . "$here/demo_today.sh" # today, from and to
  "$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null &&
  "$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null &&
  "$keys" issuer-create --out pub --name 甘肃省职称证书发布 --kdf interactive "${P[@]}" >/dev/null &&
  "$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null &&
  "$keys" endorse --root root.key --issuer ws.pub --from "$from" --to "$to" --region 62 \
    --tracks basic,province --out ws.end "${P[@]}" >/dev/null &&
  "$keys" endorse --root root.key --issuer pub.pub --from "$from" --to "$to" --region 62 \
    --tracks status,register --out pub.end "${P[@]}" >/dev/null &&
  "$keys" trust-list --root root.key --version 1 --out trust.list ws.end pub.end "${P[@]}" >/dev/null ||
    return 1
  printf '%s\n' "$PW" > keys.pass && chmod 600 keys.pass
  D=(--db gs.db --hash-key store.key "${P[@]}")
  T=(--root root.pub --trust-list trust.list)
  "$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" \
    --demo >/dev/null 2>&1 &&
  "$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null 2>&1 || return 1
  local k
  for k in employment assessments ce; do
    "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null 2>&1 || return 1
  done
  # the host's bootstrap: admin1 with an enrolment code (the console's first sign-in sets the
  # password), admin2 with a password set at once
  "$issuer" account add admin1 --name 管理员甲 --roles admin "${D[@]}" 2>/dev/null |
    sed -n 's/^enrolment code.*: //p' > admin1.code
  printf 'password-of-admin2-1\n' > admin2.pw && chmod 600 admin1.code admin2.pw
  "$issuer" account add admin2 --name 管理员乙 --roles admin --password-file admin2.pw "${D[@]}" \
    >/dev/null 2>&1 && [ -s admin1.code ] || return 1
  echo -14 > clock
  export TITLECERT_DEMO_CLOCK="@$PWD/clock"
}

# cf_port: a free port of TC_TEST_PORTS
cf_port() {
  local range=${TC_TEST_PORTS:-20000-39999} lo hi p try
  lo=${range%-*} hi=${range#*-}
  for try in $(seq 1 30); do
    p=$((lo + RANDOM % (hi - lo + 1)))
    ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo $p; return 0; }
  done
  return 1
}

# cf_wait_http URL PID: until URL answers (5 s), or the process is gone
cf_wait_http() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# cf_listen ERR LIFETIME PROGRAM ARGS...: PROGRAM ARGS --listen 127.0.0.1:PORT under `timeout`,
# its stderr in ERR, on a free port; another port when the chosen one was taken between the
# probe and the bind (tests run side by side). Sets cf_pid and cf_url.
cf_listen() {
  local err=$1 life=$2 port try; shift 2
  for try in 1 2 3 4 5; do
    port=$(cf_port) || return 1
    timeout "$life" "$@" --listen "127.0.0.1:$port" >/dev/null 2>"$err" &
    cf_pid=$!
    cf_url=http://127.0.0.1:$port
    cf_wait_http "$cf_url/healthz" $cf_pid && return 0
    kill $cf_pid 2>/dev/null; wait $cf_pid 2>/dev/null
    grep -q "listen" "$err" || return 1
  done
  return 1
}

# start_services LIFETIME [CONSOLE-OPTIONS...]: the signer and the console, each stopping by
# itself after LIFETIME seconds
start_services() {
  local life=$1; shift
  sock=$PWD/signer.sock
  timeout "$life" "$signer" serve --socket "$sock" --db gs.db --hash-key store.key --key ws.key \
    --publication-key pub.key "${T[@]}" --publish-dir pub --log signer.log --state signer.state --demo >/dev/null 2>>signer.log &
  cf_pids+=($!)
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  [ -S "$sock" ] || return 1
  mkdir -p pub
  cf_listen console.err "$life" "$console" serve --db gs.db --hash-key store.key \
    --passphrase-file keys.pass "${T[@]}" --issuer-pub ws.pub --publish-dir pub \
    --signer-socket "$sock" --web "$src/console/web" --access-log console-access.log "$@" ||
    return 1
  cf_pids+=($cf_pid)
  CONSOLE_URL=$cf_url
}

# start_verifier LIFETIME: the public page serving the publication (pub/bundle.cbor, reloaded
# when it changes); prints its URL
start_verifier() {
  cf_listen verifier.err "$1" "$verifier" serve --bundle pub/bundle.cbor --root root.pub \
    --state verifier-state --access-log verifier-access.log || return 1
  echo $cf_pid >> verifier.pid
  echo "$cf_url"
}

stop_services() {
  local p
  for p in "${cf_pids[@]}" $(cat verifier.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
  for p in "${cf_pids[@]}"; do wait "$p" 2>/dev/null; done
  cf_pids=()
}
