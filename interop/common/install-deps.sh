#!/usr/bin/env bash
# Installs the external programs the interop harness drives (Dovecot as the reference
# IMAP server, and real IMAP clients). Idempotent; safe with CI=true and no stdin;
# safe when other processes run apt at the same time (dpkg lock timeout).
#
# No system service is left running: during the install a policy-rc.d that exits 101
# forbids maintainer scripts from starting daemons, and afterwards any dovecot that got
# started anyway is stopped, so ports 143/993 stay free. The harness runs its own
# private Dovecot on loopback high ports (see dovecot.py).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(dovecot-imapd isync offlineimap fetchmail curl mutt tmux swaks libio-socket-ssl-perl libnet-ssleay-perl openssl python3)
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
apt_install "install-deps" "${PKGS[@]}"

# Whatever a maintainer script may have started, a system dovecot must not hold 143/993.
# Only the system instance is touched (its pid file under /run/dovecot); the harness's
# private instances keep their base_dir in their own scratch folders.
if [ -s /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    echo "install-deps: stopping system dovecot"
    service dovecot stop >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
fi
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable dovecot >/dev/null 2>&1 || true
fi
echo "install-deps: ok ($(dovecot --version 2>/dev/null | head -1 || echo no dovecot))"
