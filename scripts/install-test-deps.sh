#!/usr/bin/env bash
# Installs the real peers the tests drive (swaks, openssl, Python packages). Idempotent, non-interactive.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(openssl swaks libcrypt-dev curl)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd
