#!/usr/bin/env bash
# Installs the reference systems for the benchmarks, idempotently:
#   - Postfix and Dovecot (IMAP) from Debian's packages, with no system service left running
#   - a Python virtualenv (bench/.venv) with mailmerge 2.3.0 and aiosmtpd
# Safe to run while other processes use apt: dpkg's lock is waited for.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BENCH_VENV:-$here/.venv}"
export DEBIAN_FRONTEND=noninteractive

apt_install() {
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

need=()
for pkg in postfix dovecot-imapd procps; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        need+=("$pkg")
    fi
done
if ((${#need[@]})); then
    # Postfix must not write a system main.cf that would accept or relay mail.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string bench.test" | debconf-set-selections
    # Another process may hold dpkg half-way (packages unpacked but not configured): finish it.
    apt-get -o DPkg::Lock::Timeout=600 update -q || true
    apt_install "${need[@]}" || { dpkg --configure -a; apt_install "${need[@]}"; }
fi

# The packages' own services are not wanted: the benchmarks start private instances.
stop_system_service() {
    local name="$1"
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$name" 2>/dev/null; then
        systemctl stop "$name" || true
        systemctl disable "$name" 2>/dev/null || true
    fi
}
stop_system_service postfix
stop_system_service dovecot
# Without systemd, the init scripts may have started them: stop only the system instances.
if [[ -f /var/spool/postfix/pid/master.pid ]] && postfix status >/dev/null 2>&1; then
    postfix stop || true
fi
if [[ -f /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    doveadm -c /etc/dovecot/dovecot.conf stop 2>/dev/null || kill "$(cat /run/dovecot/master.pid)" || true
fi

# Python tools in a private virtualenv.
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("mailmerge") != "2.3.0")' \
    2>/dev/null || ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    "$venv/bin/pip" install -q --disable-pip-version-check mailmerge==2.3.0 'aiosmtpd==1.4.6'
fi

echo "postfix: $(postconf -d -h mail_version 2>/dev/null)"
echo "dovecot: $(dovecot --version)"
echo "mailmerge: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mailmerge"))')"
echo "aiosmtpd: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))')"
