#!/usr/bin/env bash
# Installs what socketpool's tools and tests need on a fresh Debian machine (run as root or
# with sudo available), and the project itself into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# Debian packages (one list; add yours here)
APT_PACKAGES=(
  build-essential python3-venv python3-dev curl iproute2 nftables
  liblwip-dev mosquitto chrony wrk valgrind clang libclang-rt-14-dev
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# npm packages (the emulated Pico W target); add yours here
NPM_PACKAGES=(rp2040js@1.4.1)
if [ ${#NPM_PACKAGES[@]} -gt 0 ] && command -v npm >/dev/null; then
  npm install -q --no-save --no-package-lock --no-audit --no-fund "${NPM_PACKAGES[@]}" \
    || echo "setup: npm install failed; the emulated Pico W target will not be available" >&2
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
