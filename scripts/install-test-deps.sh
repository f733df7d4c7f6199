#!/usr/bin/env bash
# Installs the real peers the tests drive: swaks, openssl, curl, Dovecot and the IMAP clients of the
# interop harness (interop/common/install-deps.sh, which keeps system daemons stopped), libcrypt's
# header for the CCrypt module, and Python's aiosmtpd for the SMTP client's sink. Idempotent and
# non-interactive (CI=true, no stdin).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' libcrypt-dev 2>/dev/null | grep -q "install ok installed"; then
  apt-get -o DPkg::Lock::Timeout=600 update -q </dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends libcrypt-dev </dev/null
fi
bash "$here/../interop/common/install-deps.sh"
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd </dev/null
echo "install-test-deps: ok"
