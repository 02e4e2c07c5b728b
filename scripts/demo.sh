#!/usr/bin/env bash
# titlecert demo on embedded defaults: builds, creates a DEMO key hierarchy, issues sample
# certificates, shows a QR code, writes PNGs, and verifies them offline (payload, link and image).
# Everything goes to demo-out/, recreated on each run. The passphrase comes from
# TITLECERT_DEMO_PASSPHRASE (default below): demo keys only, never for real certificates.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

out=demo-out
base=${TITLECERT_BASE_URL:-http://127.0.0.1:8080}
export TITLECERT_DEMO_PASSPHRASE=${TITLECERT_DEMO_PASSPHRASE:-demo-only-not-a-secret}
P=(--passphrase-env TITLECERT_DEMO_PASSPHRASE)
keys=build/keys/titlecert-keys issuer=build/issuer/titlecert-issuer verifier=build/verifier/titlecert-verifier

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
echo "-- 2. issue sample certificates --"
for f in data/samples/gs-basic.json data/samples/gs-province.json; do
  $issuer sign --key "$out/keys/gs-ws.key" --claims "$f" --out-dir "$out/certs" --base-url "$base" \
    --root "$out/keys/root.pub" --trust-list "$out/keys/trust.list" --qr "${P[@]}"
  echo
done

echo "-- 3. verify offline --"
V=(--root "$out/keys/root.pub" --trust-list "$out/keys/trust.list")
link=$(cat "$out/certs/260001234.link")
echo "from the link:  $($verifier verify "${V[@]}" "$link" | grep -m1 '"verdict"')"
echo "from the PNG:   $($verifier verify "${V[@]}" --image "$out/certs/260001234.png" | grep -m1 '"verdict"')"
tampered=$(awk '{ d = substr($0, 300, 1); printf "%s%d%s\n", substr($0, 1, 299), (d + 1) % 10, substr($0, 301) }' "$out/certs/260001234.txt")
if $verifier verify "${V[@]}" "$tampered" > "$out/tampered.json"; then
  echo "a tampered payload verified: this must not happen" >&2; exit 1
fi
echo "tampered copy: $(grep -m1 '"verdict"' "$out/tampered.json") ($(grep -m1 '"code"' "$out/tampered.json" | tr -d ' '))"
echo
echo "Full verdict: $verifier verify ${V[*]} \"\$(cat $out/certs/260001234.txt)\""
echo "QR images:    $out/certs/*.png"
