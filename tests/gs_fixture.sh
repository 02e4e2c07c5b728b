# gs_fixture.sh - sourced by the HTTP and browser tests: a GS store built through the real
# programs from data/samples (keys, units, records, the committee batch, one conversion), its
# status bundle as v1.bundle and live.bundle, and a verifier serving it on a free 127.0.0.1 port.
# Needs: keys, issuer, verifier, data set; cwd the work directory. Sets: ids (sorted certificate
# ids), D and T (issuer options), server (pid) and U (base URL). The committee key ws is endorsed
# from today, or from GS_ENDORSE_FROM (YYYY-MM-DD) when set, for two years. The store's working-day
# calendar holds the years ahead that data/calendar lacks (calendar_ahead.sh).
. "$(dirname "${BASH_SOURCE[0]}")/calendar_ahead.sh"
gs_fixture() {
  export PW='fixture test passphrase'
  P=(--passphrase-env PW)
  local today until
  today=$(TZ=Asia/Shanghai date +%F)
  until=$(date -d "${GS_ENDORSE_FROM:-$today} +2 years" +%F)
  calendar_ahead "$PWD/calendar" || return 1
  "$keys" root-create --out root --name root --kdf interactive "${P[@]}" >/dev/null
  "$keys" issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}" >/dev/null
  "$keys" hash-key-create --out store --name store --kdf interactive "${P[@]}" >/dev/null
  "$keys" endorse --root root.key --issuer ws.pub --from "${GS_ENDORSE_FROM:-$today}" --to "$until" \
    --region 62 --tracks basic,province,status,register --out ws.end "${P[@]}" >/dev/null
  "$keys" trust-list --root root.key --version 1 --out trust.list ws.end "${P[@]}" >/dev/null
  D=(--db gs.db --hash-key store.key "${P[@]}")
  T=(--root root.pub --trust-list trust.list)
  "$issuer" init --db gs.db --profile "$data/profiles/GS.json" --hash-key store.key "${P[@]}" >/dev/null
  "$issuer" units import "${D[@]}" "$data/samples/gs-units.csv" >/dev/null
  local k
  for k in employment assessments ce; do
    "$issuer" records import "${D[@]}" $k "$data/samples/gs-$k.csv" >/dev/null
  done
  "$issuer" import "${D[@]}" --key ws.key "${T[@]}" --out-dir certs --base-url http://127.0.0.1:8080 \
    "$data/samples/gs-results.csv" >/dev/null
  ids=($(ls certs | sed -n 's/\.txt$//p' | sort))
  "$issuer" convert "${D[@]}" --decision 甘职改〔2026〕8号 --committee 100 --key ws.key "${T[@]}" \
    "${ids[0]}" >/dev/null
  "$issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out v1.bundle >/dev/null
  cp v1.bundle live.bundle
}

# start_server [SERVE-OPTIONS...]: tries a few random ports; sets server and U, or leaves server
# empty. The bundle is ${BUNDLE:-live.bundle}, the state directory ${STATE:-state} (this test's own).
start_server() {
  local try
  server=""
  for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    # a port another test's server holds would answer /healthz for this one
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    "$verifier" serve --bundle "${BUNDLE:-live.bundle}" --root root.pub --listen 127.0.0.1:$port \
      --state "${STATE:-state}" --access-log access.log "$@" 2>server.err &
    server=$!
    for _ in $(seq 1 50); do
      curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" && kill -0 "$server" 2>/dev/null &&
        { U="http://127.0.0.1:$port"; return 0; }
      kill -0 "$server" 2>/dev/null || break
      sleep 0.1
    done
    kill "$server" 2>/dev/null
    server=""
    # another port only when this one was taken; any other refusal stays in server.err
    grep -q "cannot listen on" server.err || return 1
  done
  return 1
}
