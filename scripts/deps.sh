#!/usr/bin/env bash
# Installs the Debian packages titlecert needs to build, test and run its demo, if any is missing.
# Usage: scripts/deps.sh [build|test|fuzz]   (each includes the one before it)
# Says what it installs and why, and lets apt show its progress.
set -euo pipefail
level=${1:-build}
case "$level" in build|test|fuzz) ;; *) echo "usage: scripts/deps.sh [build|test|fuzz]" >&2; exit 2 ;; esac

# package | level | why
table='
meson              build  the build system
ninja-build        build  runs the builds meson writes
pkg-config         build  finds the libraries below
gcc                build  the C compiler
python3            build  generates the division and title tables at build time
libsodium-dev      build  Ed25519 signatures, Argon2id and XChaCha20 for key files, BLAKE2b, SHA-256
libqrencode-dev    build  QR code encoding
libmicrohttpd-dev  build  the verifier HTTP service
libsqlite3-dev     build  the issuer store
libcbor-dev        build  CBOR encoding and decoding of certificates and bundles
libjansson-dev     build  JSON for the API, profiles and verdicts
libpng-dev         build  QR code images (PNG) and PNG uploads
libjpeg-dev        build  JPEG uploads (phone photos of a QR code)
libcurl4-openssl-dev build the verifier following a publication over HTTP (serve --source)
libzbar-dev        build  reading QR codes from uploaded images
libcsv-dev         build  CSV imports of results, units and records
libcairo2-dev      build  the e-certificate PDF (cairo PDF surface: vectors, font subsets)
libpango1.0-dev    build  text layout and font fallback for the e-certificate
librsvg2-dev       build  SVG seal images on the e-certificate
libp11-kit-dev     build  the standard PKCS#11 header (pkcs11.h) for the token backend; not linked
liboath-dev        build  TOTP (RFC 6238), the second factor of the HR console
libzip-dev         build  e-certificate downloads from the HR console, one zip per employer
fonts-arphic-uming build  the e-certificate typeface (AR PL UMing, a Ming face; TrueType subsets small)
zbar-tools         test   zbarimg reads the QR codes the issuer writes
poppler-utils      test   pdftotext, pdffonts, pdfinfo, pdftoppm check the e-certificates
sqlite3            test   the crash test inspects the store
gdb                test   gcore writes the memory of a running issuer: no passphrase may be in it
curl               test   the HTTP tests talk to the verifier
openssl            test   a self-signed certificate for the nginx deployment test
man-db             test   the install test reads the installed manual pages with man
nginx              test   the nginx deployment example, run by its test on 127.0.0.1
chromium           test   the browser tests of the public page (driven by playwright-core)
fonts-noto-cjk     test   Chinese text in browser screenshots
nodejs             test   runs the browser tests (playwright-core from tests/browser/package-lock.json)
npm                test   installs playwright-core from the lockfile
golang-go          test   the Go reference signed-note and tlog code cross-checks the register
golang-golang-x-mod-dev test golang.org/x/mod/sumdb/note and tlog, for that cross-check
python3-cryptography test   another Ed25519 (OpenSSL): tests/cosig_check.py checks witness co-signatures from the spec
softhsm2           test   a software PKCS#11 token: the token backend is tested against its module
opensc             test   pkcs11-tool makes the Ed25519 key pair on the test token (titlecert makes no token keys)
clang              fuzz   the ASan+UBSan build and the libFuzzer targets
libclang-rt-14-dev fuzz   the sanitizer and libFuzzer runtimes
'
rank() { case "$1" in build) echo 1 ;; test) echo 2 ;; fuzz) echo 3 ;; esac; }
want=$(rank "$level")
missing=() why=()
while read -r pkg lvl reason; do
  [ -n "$pkg" ] || continue
  [ "$(rank "$lvl")" -le "$want" ] || continue
  # a node already on the machine (and its npm) serves the browser tests
  case "$pkg" in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  missing+=("$pkg")
  why+=("$(printf '  %-19s %s' "$pkg" "$reason")")
done <<<"$table"
[ ${#missing[@]} -eq 0 ] && exit 0

echo "titlecert: installing ${#missing[@]} Debian package(s) for the '$level' level:" >&2
printf '%s\n' "${why[@]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# nginx is installed for a test that runs its own instance; Debian would start the system service on
# port 80 at install. A policy-rc.d for the duration of this install tells apt not to start it.
policy=/usr/sbin/policy-rc.d
made_policy=0
if printf '%s\n' "${missing[@]}" | grep -q '^nginx' && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# titlecert scripts/deps.sh: no service starts during this install\nexit 101\n' |
    $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
  echo "titlecert: nginx's system service is not started by this install (a temporary $policy)" >&2
fi
cleanup() { [ $made_policy = 1 ] && $sudo rm -f "$policy"; return 0; }
trap cleanup EXIT
echo "titlecert: apt-get update" >&2
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
echo "titlecert: installed ${missing[*]}" >&2
