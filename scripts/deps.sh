#!/usr/bin/env bash
# Installs the Debian packages titlecert needs to build, test and run its demo, if any is missing.
# Usage: scripts/deps.sh [build|test|fuzz]   (each includes the one before it)
set -euo pipefail
level=${1:-build}
pkgs=(meson ninja-build pkg-config gcc libsodium-dev libqrencode-dev libmicrohttpd-dev
      libsqlite3-dev libcbor-dev libjansson-dev libpng-dev libzbar-dev libjpeg-dev libcsv-dev
      python3)
case "$level" in
  build) ;;
  test) pkgs+=(zbar-tools sqlite3 curl chromium) ;;
  fuzz) pkgs+=(zbar-tools sqlite3 curl chromium clang libclang-rt-14-dev) ;;
  *) echo "usage: scripts/deps.sh [build|test|fuzz]" >&2; exit 2 ;;
esac
# the browser tests run node (playwright-core); Debian's nodejs when the machine has no node
if [ "$level" != build ] && ! command -v node >/dev/null; then pkgs+=(nodejs npm); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "titlecert: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
