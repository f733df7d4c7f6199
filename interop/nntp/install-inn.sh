#!/usr/bin/env bash
# Installs INN (Debian's inn2), the reference NNTP server of the differential test and the bench.
# Idempotent and non-interactive. inn2's postinst fails on a host whose name has no domain ("hostname
# does not resolve or domain not set in inn.conf") and when `newaliases` has no MTA configuration; we
# give inn.conf a `domain:` and retry the configuration once. The system service is stopped and
# disabled afterwards, like the system Dovecot in interop/common/install-deps.sh: the tests run their
# own private INN (interop/nntp/inn.sh) on a loopback high port, so 119 stays free.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
source "$(dirname "${BASH_SOURCE[0]}")/../common/apt-install.sh"
apt_install "install-inn" inn2 || true
if ! dpkg-query -W -f='${Status}' inn2 2>/dev/null | grep -q "install ok installed"; then
    if [ -f /etc/news/inn.conf ] && ! grep -q '^domain:' /etc/news/inn.conf; then
        echo "install-inn: setting 'domain: example.test' in /etc/news/inn.conf (host name has no domain)"
        sed -i 's/^#domain:.*/domain:                      example.test/' /etc/news/inn.conf
        grep -q '^domain:' /etc/news/inn.conf || echo 'domain:                      example.test' >> /etc/news/inn.conf
    fi
    # the first failed run already added "usenet: root" to /etc/aliases, so newaliases is not run again
    dpkg --configure inn2 </dev/null || dpkg --configure inn2 </dev/null
fi
if [ -s /run/news/innd.pid ] && kill -0 "$(cat /run/news/innd.pid)" 2>/dev/null; then
    echo "install-inn: stopping system innd"
    service inn2 stop >/dev/null 2>&1 || kill "$(cat /run/news/innd.pid)" 2>/dev/null || true
fi
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable inn2 >/dev/null 2>&1 || true
fi
test -x /usr/lib/news/bin/innd
echo "install-inn: ok ($(dpkg-query -W -f='${Version}' inn2))"
