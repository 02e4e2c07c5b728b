#!/usr/bin/env bash
# titlecert demo on embedded defaults: builds, creates a DEMO key hierarchy, initialises a 甘肃
# store with sample units and records, issues a batch of committee results (basic-level and
# province-wide), converts one, revokes one, publishes the 公示, the public register and the signed
# status bundle, checks the register (proof, audit, a certificate signed outside it refused, the
# committee key's entries), shows a QR code and verifies certificates offline (payload, link and
# image); then serves the verification page on
# TITLECERT_LISTEN (default 127.0.0.1:8080) until Ctrl-C (TITLECERT_DEMO_NO_SERVE=1 stops before).
# Everything goes to demo-out/, recreated on each run. The passphrase comes from
# TITLECERT_DEMO_PASSPHRASE (default below): demo keys only, never for real certificates.
set -euo pipefail
cd "$(dirname "$0")/.."
listen=${TITLECERT_LISTEN:-127.0.0.1:8080}
host=${listen%:*} port=${listen##*:}
if [[ ! "$listen" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  echo "demo: TITLECERT_LISTEN=$listen is not IPV4-ADDRESS:PORT (e.g. 127.0.0.1:8080)" >&2; exit 2
fi
# a busy port is reported now, before a minute of building and issuing
if [ "${TITLECERT_DEMO_NO_SERVE:-}" != 1 ] && (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "demo: $listen is already in use; stop what listens there or choose another address," >&2
  echo "      e.g. TITLECERT_LISTEN=127.0.0.1:8081 bash scripts/demo.sh" >&2
  exit 2
fi
scripts/deps.sh build
[ -f build/build.ninja ] || { mkdir -p build && meson setup build >build/setup.log 2>&1; } ||
  { cat build/setup.log >&2; exit 2; }
echo "demo: building (ninja -C build)"
ninja -C build >build/demo-ninja.log 2>&1 || { tail -40 build/demo-ninja.log >&2; exit 2; }
# the build-tree programs read the page and the profiles from the source tree
export TITLECERT_WEB_DIR=$PWD/web TITLECERT_PROFILES=$PWD/data/profiles

out=demo-out
base=${TITLECERT_BASE_URL:-http://$listen}
export TITLECERT_DEMO_PASSPHRASE=${TITLECERT_DEMO_PASSPHRASE:-demo-only-not-a-secret}
P=(--passphrase-env TITLECERT_DEMO_PASSPHRASE)
keys=build/keys/titlecert-keys issuer=build/issuer/cli/titlecert-issuer verifier=build/verifier/titlecert-verifier
register=build/register/cli/titlecert-register

rm -rf "$out"
mkdir -p "$out/keys" "$out/certs"
cat <<TXT
== titlecert demo ==
DEMO KEYS ONLY: the passphrase is public ($TITLECERT_DEMO_PASSPHRASE); output in $out/

-- 1. key hierarchy (rule A1) --
TXT
$keys root-create --out "$out/keys/root" --name 甘肃省人力资源和社会保障厅 --kdf interactive "${P[@]}"
$keys issuer-create --out "$out/keys/gs-ws" --name 甘肃省卫生系列高级职称评审委员会 --kdf interactive "${P[@]}"
today=$(date +%F)
until=$(date -d "$today +3 years -1 day" +%F)
$keys endorse --root "$out/keys/root.key" --issuer "$out/keys/gs-ws.pub" --from "$today" --to "$until" \
  --region 62 --series WS-YL,WS-HL,WS-YX,WS-JS --levels 1-5 --out "$out/keys/gs-ws.endorsement" "${P[@]}"
$keys trust-list --root "$out/keys/root.key" --version 1 --out "$out/keys/trust.list" \
  "$out/keys/gs-ws.endorsement" "${P[@]}"

echo
echo "-- 2. a 甘肃 (GS) store: unit directory, records, a batch of committee results --"
$keys hash-key-create --out "$out/keys/store" --name 甘肃省职称证书库 --kdf interactive "${P[@]}"
$keys issuer-create --out "$out/keys/gs-status" --name 甘肃省人社厅职称证书发布 --kdf interactive "${P[@]}"
$keys endorse --root "$out/keys/root.key" --issuer "$out/keys/gs-status.pub" --from "$today" --to "$until" \
  --region 62 --tracks status,register --out "$out/keys/gs-status.endorsement" "${P[@]}"
$keys trust-list --root "$out/keys/root.key" --version 2 --out "$out/keys/trust.list.new" \
  "$out/keys/gs-ws.endorsement" "$out/keys/gs-status.endorsement" "${P[@]}" >/dev/null
mv "$out/keys/trust.list.new" "$out/keys/trust.list"
D=(--db "$out/gs.db" --hash-key "$out/keys/store.key" "${P[@]}")
T=(--root "$out/keys/root.pub" --trust-list "$out/keys/trust.list")
$issuer init --db "$out/gs.db" --profile GS --hash-key "$out/keys/store.key" "${P[@]}"
$issuer units import "${D[@]}" data/samples/gs-units.csv
for kind in employment assessments ce; do
  $issuer records import "${D[@]}" $kind data/samples/gs-$kind.csv
done
$issuer import "${D[@]}" --key "$out/keys/gs-ws.key" "${T[@]}" --out-dir "$out/certs" \
  --base-url "$base" data/samples/gs-results.csv
first=$(ls "$out/certs" | sed -n 's/\.txt$//p' | sort | head -1)
third=$(ls "$out/certs" | sed -n 's/\.txt$//p' | sort | sed -n 3p)

echo
echo "-- 3. conversion (C1), revocation (A2), audit (A3), publication: 公示, register, bundle (A3) --"
$issuer convert "${D[@]}" --decision 甘职改〔2026〕8号 --committee 100 --key "$out/keys/gs-ws.key" "${T[@]}" \
  --out-dir "$out/certs" --base-url "$base" "$first"
$issuer revoke "${D[@]}" --reason fraud --blacklist --blacklist-reason 论文造假 "$third"
$issuer audit verify "${D[@]}"
echo
echo "The e-certificates (A4): the committee's organiser seals them. The demo's seal is an"
echo "illustration marked 示例 (data/samples/demo-seal.svg), never a real one:"
ws_kid=$($keys show "$out/keys/gs-ws.pub" | sed -n 's/^public issuer key //p')
$issuer seal "${D[@]}" --kid "$ws_kid" --organiser 甘肃省卫生健康委员会（示例） --image data/samples/demo-seal.svg
echo "The converted and the revoked certificate of the batch get their status stamped across:"
$issuer render --db "$out/gs.db" --pdf "${T[@]}" --out-dir "$out/certs" --base-url "$base" --batch 1 \
  --status-stamp
converted=$($issuer show --db "$out/gs.db" "$first" | sed -n 's/.*新证书 \([0-9]*\).*/\1/p' | head -1)
$issuer render --db "$out/gs.db" --pdf "${T[@]}" --out-dir "$out/certs" --base-url "$base" "$converted" |
  grep e-certificates
$issuer publish "${D[@]}" --key "$out/keys/gs-status.key" "${T[@]}" --out "$out/pub" --batch 1
cp "$out/pub/bundle.cbor" "$out/gs.bundle"
echo
echo "-- 4. the public register: anyone can check it from the published files (A3) --"
R=(--root "$out/keys/root.pub" --dir "$out/pub")
$register verify "${R[@]}"
second=$(ls "$out/certs" | sed -n 's/\.txt$//p' | sort | sed -n 2p)
$register prove "${R[@]}" "$second" | sed -n '1,2p;$p'
$register audit "${R[@]}"
echo
echo "A certificate signed with the committee's own key, but outside the store (as a thief with"
echo "the key, or a retired committee back-dating one, would), is not in the register:"
$issuer sign --key "$out/keys/gs-ws.key" --claims data/samples/gs-basic.json --out-dir "$out/outside" \
  --base-url "$base" "${P[@]}" >/dev/null
if $verifier verify --root "$out/keys/root.pub" --bundle "$out/gs.bundle" "$(cat "$out/outside/260001234.txt")" \
  > "$out/outside.json"; then
  echo "an unregistered certificate verified: this must not happen" >&2; exit 1
fi
echo "  verdict $(sed -n 's/.*"verdict": *"\([a-z_]*\)".*/\1/p' "$out/outside.json" | head -1), reason $(sed -n 's/.*"code": *"\([a-z_]*\)".*/\1/p' "$out/outside.json" | head -1)"
echo "The department lists every certificate the register holds under its committee key, to"
echo "compare with its own records (an entry it did not make would mean its key is misused):"
kid=$($keys show "$out/keys/gs-ws.pub" | sed -n 's/^public issuer key //p')
$register monitor "${R[@]}" --kid "$kid"
echo
$issuer show --db "$out/gs.db" "$first"
echo
echo "The second certificate, a basic-level title at 临夏州人民医院, with the QR its holder gets:"
$issuer show --db "$out/gs.db" --qr --base-url "$base" "$second"
echo

echo "-- 5. verify offline (signature, trust list, key term and scope) --"
V=(--root "$out/keys/root.pub" --trust-list "$out/keys/trust.list")
link=$(cat "$out/certs/$second.link")
echo "from the link:  $($verifier verify "${V[@]}" "$link" | grep -m1 '"verdict"')"
echo "from the PNG:   $($verifier verify "${V[@]}" --image "$out/certs/$second.png" | grep -m1 '"verdict"')"
tampered=$(awk '{ d = substr($0, 300, 1); printf "%s%d%s\n", substr($0, 1, 299), (d + 1) % 10, substr($0, 301) }' "$out/certs/$second.txt")
if $verifier verify "${V[@]}" "$tampered" > "$out/tampered.json"; then
  echo "a tampered payload verified: this must not happen" >&2; exit 1
fi
echo "tampered copy: $(grep -m1 '"verdict"' "$out/tampered.json") ($(grep -m1 '"code"' "$out/tampered.json" | tr -d ' '))"
echo
echo "with the status bundle, at the provincial hospital (not a basic-level unit):"
echo "                $($verifier verify --root "$out/keys/root.pub" --bundle "$out/gs.bundle" \
  --unit 12620000438000456W "$link" | grep -m1 '"verdict"')"
echo
echo "-- 6. the verifier and its public page --"
for f in $(ls "$out/certs"/*.link | sort); do
  id=$(basename "$f" .link)
  echo "certificate $id: QR $out/certs/$id.png, e-certificate $out/certs/$id.pdf"
  echo "  $(cat "$f")"
done
echo
echo "Open a link above (or $base/ to paste or upload a QR image); try the employer"
echo "field with 12620000438000456W (甘肃省人民医院, not basic-level) and 12620102438000123H."
echo "Store: $out/gs.db   publication (公示, register, bundle): $out/pub/   stop with Ctrl-C"
[ "${TITLECERT_DEMO_NO_SERVE:-}" = 1 ] && exit 0
echo "Serving on http://$listen/ (pid $$; the address is TITLECERT_LISTEN)"
exec $verifier serve --bundle "$out/gs.bundle" --root "$out/keys/root.pub" --listen "$listen" \
  --state "$out/state" --register "$out/pub"
