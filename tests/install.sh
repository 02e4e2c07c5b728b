#!/usr/bin/env bash
# install.sh - titlecert installs like a Debian program. A copy of the source tree is built with
# its own prefix, staged with 'meson install --destdir', moved into place, and the source copy
# removed; then the installed programs run through issue -> export -> verify -> serve with no
# hint of where the source was (TITLECERT_WEB_DIR and TITLECERT_PROFILES unset), reading their
# page and profiles from the prefix. Where systemd-analyze exists, the installed unit is verified.
# usage: install.sh SOURCE_DIR
set -u
src=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
. "$here/tap.sh"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
unset TITLECERT_WEB_DIR TITLECERT_PROFILES TITLECERT_CALENDAR

# 1. a copy of the source (no build directories), configured for a prefix of its own
mkdir copy
tar -C "$src" --exclude=./.git --exclude='./build*' --exclude=./demo-out --exclude=node_modules \
  -cf - . | tar -C copy -xf -
prefix=$work/opt/titlecert
check "meson setup of a copy with --prefix and -Dtests=false" 0 \
  meson setup copy/_build copy --prefix="$prefix" -Dbuildtype=release -Dtests=false
check "the programs build" 0 ninja -C copy/_build
check "meson install --destdir stages the install" 0 meson install -C copy/_build --destdir "$work/stage"
cp out.txt install.log
stage=$work/stage$prefix
for f in bin/titlecert-keys bin/titlecert-issuer bin/titlecert-verifier bin/titlecert-register \
         bin/titlecert-signer bin/titlecert-witness share/man/man1/titlecert-signer.1 \
         share/man/man1/titlecert-witness.1 lib/systemd/system/titlecert-witness.service \
         share/man/man1/titlecert-keys.1 share/man/man1/titlecert-issuer.1 \
         share/man/man1/titlecert-verifier.1 share/man/man1/titlecert-register.1 share/titlecert/web/index.html \
         share/titlecert/web/app.js share/titlecert/web/style.css share/titlecert/profiles/GS.json \
         share/titlecert/profiles/SX.json share/titlecert/calendar/2026.json \
         share/titlecert/calendar/README.md share/titlecert/data/divisions_5prov.csv \
         share/titlecert/data/README.md share/titlecert/samples/gs-results.csv \
         lib/systemd/system/titlecert-verifier.service share/doc/titlecert/deploy/nginx-titlecert.conf \
         share/doc/titlecert/LICENSE bin/titlecert-console share/man/man1/titlecert-console.1 \
         lib/systemd/system/titlecert-console.service share/titlecert/console/index.html \
         share/titlecert/console/console.js share/titlecert/console/console.css \
         share/doc/titlecert/deploy/nginx-titlecert-console.conf \
         lib/systemd/system/titlecert-signer.service; do
  truth "installed: $f" test -s "$stage/$f"
done
truth "nothing is installed outside the prefix" \
  test "$(cd "$work/stage" && find . -type f | grep -vc "^\.$prefix/")" = 0

# 2. into place, and the source gone
mkdir -p "$(dirname "$prefix")" && mv "$stage" "$prefix" && rm -rf copy stage
truth "no program has a path of the build or source tree compiled in" \
  bash -c "! grep -l -a -e '$work/copy' '$prefix'/bin/*"
truth "the unit names the installed program" grep -q "^ExecStart=$prefix/bin/titlecert-verifier serve" \
  "$prefix/lib/systemd/system/titlecert-verifier.service"
check "man renders the installed page" 0 man -l "$prefix/share/man/man1/titlecert-verifier.1"
has "the man page names the verdicts" out.txt "not_valid_here"
B=$prefix/bin
check "titlecert-verifier --version" 0 "$B/titlecert-verifier" --version
has "the version is printed" out.txt "titlecert-verifier 0.1.0"

# 3. issue -> export -> verify -> serve, from a directory that has nothing of the source
mkdir run && cd run || exit 2
export PW='install test passphrase'
P=(--passphrase-env PW)
S=$prefix/share/titlecert/samples
today=$(TZ=Asia/Shanghai date +%F)
until=$(date -d "$today +2 years" +%F)
check "keys: root, issuer, hash key" 0 bash -c "
  '$B/titlecert-keys' root-create --out root --name 甘肃省人力资源和社会保障厅 --kdf interactive ${P[*]} &&
  '$B/titlecert-keys' issuer-create --out ws --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive ${P[*]} &&
  '$B/titlecert-keys' hash-key-create --out store --name store --kdf interactive ${P[*]} &&
  '$B/titlecert-keys' endorse --root root.key --issuer ws.pub --from $today --to $until --region 62 \
    --tracks basic,province,status,register --out ws.end ${P[*]} &&
  '$B/titlecert-keys' trust-list --root root.key --version 1 --out trust.list ws.end ${P[*]}"
D=(--db gs.db --hash-key store.key "${P[@]}")
T=(--root root.pub --trust-list trust.list)
check "issuer init --profile GS reads the installed profile" 0 "$B/titlecert-issuer" init --db gs.db \
  --profile GS --hash-key store.key "${P[@]}"
has "and the installed working-day years" out.txt "working-day calendar: 2025 2026"
check "a workflow store too" 0 "$B/titlecert-issuer" init --db wf.db --profile GS --hash-key store.key \
  "${P[@]}" --workflow
check "the installed signer starts on it and stops on SIGTERM" 0 bash -c "
  '$B/titlecert-signer' serve --socket '$work/s.sock' --db wf.db --hash-key store.key --key ws.key \
    --publication-key ws.key --root root.pub --trust-list trust.list --publish-dir wfpub --state wf.state 2>signer.log &
  pid=\$!; for i in \$(seq 100); do [ -S '$work/s.sock' ] && break; sleep 0.05; done
  '$B/titlecert-issuer' signer status --socket '$work/s.sock' | grep -q locked && kill \$pid && wait \$pid"
check "units and records from the installed samples" 0 bash -c "
  '$B/titlecert-issuer' units import ${D[*]} '$S/gs-units.csv' &&
  for k in employment assessments ce; do '$B/titlecert-issuer' records import ${D[*]} \$k '$S/gs-'\$k.csv || exit 1; done"
check "import the committee results" 0 "$B/titlecert-issuer" import "${D[@]}" --key ws.key "${T[@]}" \
  --out-dir certs --base-url http://127.0.0.1:8080 "$S/gs-results.csv"
id=$(ls certs | sed -n 's/\.txt$//p' | sort | sed -n 2p)
check "bundle export" 0 "$B/titlecert-issuer" bundle export "${D[@]}" --key ws.key "${T[@]}" --out gs.bundle
check "verify a certificate with the bundle: valid" 0 "$B/titlecert-verifier" verify --root root.pub \
  --bundle gs.bundle "$(cat "certs/$id.link")"
has "the verdict is valid" out.txt '"verdict": *"valid"'
check "publish the register and the 公示 of batch 1" 0 "$B/titlecert-issuer" publish "${D[@]}" --key ws.key \
  "${T[@]}" --out pub --batch 1
check "the installed titlecert-register verifies it" 0 "$B/titlecert-register" verify --root root.pub --dir pub
check "and man renders its page" 0 man -l "$prefix/share/man/man1/titlecert-register.1"

port=""
for _ in 1 2 3 4 5; do
  p=$((20000 + RANDOM % 20000))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue # another server's: it would answer
  "$B/titlecert-verifier" serve --bundle gs.bundle --root root.pub --listen 127.0.0.1:$p --state state \
    2>serve.err &
  server=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/healthz" && kill -0 "$server" 2>/dev/null &&
      { port=$p; break 2; }
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  kill "$server" 2>/dev/null; server=""
done
truth "the installed verifier serves (from its datadir page)" test -n "$port"
sed 's/^/# /' serve.err
check "GET / is the page" 0 curl -sf --max-time 5 "http://127.0.0.1:$port/"
has "the page is titlecert's" out.txt "app.js"
check "POST /api/v1/verify" 0 curl -sf --max-time 5 -H 'Content-Type: application/json' \
  --data "{\"payload\":\"$(cat "certs/$id.txt")\"}" "http://127.0.0.1:$port/api/v1/verify"
has "verified valid through the installed service" out.txt '"verdict": *"valid"'
check "a busy address is refused with a clear error" 2 "$B/titlecert-verifier" serve --bundle gs.bundle \
  --root root.pub --listen 127.0.0.1:$port --state state
has "the error names the address and the option" err.txt "cannot listen on 127.0.0.1:$port.*--listen"
kill "$server"; wait "$server" 2>/dev/null; server=""
check "with no page files the verifier says where it looked" 2 env TITLECERT_WEB_DIR=/nonexistent \
  "$B/titlecert-verifier" serve --bundle gs.bundle --root root.pub --listen 127.0.0.1:$port --state state
has "the error names the directory and the ways to set it" err.txt "/nonexistent/index.html.*"

if command -v systemd-analyze >/dev/null; then
  # MANPATH: the unit's Documentation= names the man page, installed under this prefix
  check "systemd-analyze verify accepts the installed unit" 0 env MANPATH="$prefix/share/man:" \
    systemd-analyze verify "$prefix/lib/systemd/system/titlecert-verifier.service"
  sed 's/^/# /' err.txt | head -10
  check "and the console's" 0 env MANPATH="$prefix/share/man:" \
    systemd-analyze verify "$prefix/lib/systemd/system/titlecert-console.service"
  sed 's/^/# /' err.txt | head -10
  check "and the signer's" 0 env MANPATH="$prefix/share/man:" \
    systemd-analyze verify "$prefix/lib/systemd/system/titlecert-signer.service"
  sed 's/^/# /' err.txt | head -10
else
  echo "ok $((n += 1)) - systemd-analyze verify # SKIP systemd is not installed here"
fi
finish
