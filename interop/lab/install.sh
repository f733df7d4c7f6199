#!/usr/bin/env bash
# Installs what the network lab drives, idempotently and non-interactively (CI=true, no stdin):
#   iproute2 (ip netns), dnsmasq-base (the dnsmasq binary without its system service), postfix,
#   sasl2-bin (saslpasswd2 for the sasldb behind Postfix's AUTH), libsasl2-modules (PLAIN/LOGIN),
#   swaks with libnet-ssleay-perl (its STARTTLS), bind9-dnsutils (dig), openssl, opendkim (the
#   milter that verifies correo's DKIM signatures at a lab Postfix; its own system service stays off)
#   and opendkim-tools (opendkim-testmsg; also in scripts/install-test-deps.sh).
# No system daemon is left running: a policy-rc.d that exits 101 forbids maintainer scripts from
# starting services during the install (kept if one already exists), Postfix gets the debconf answer
# "No configuration" (no system main.cf that would accept or relay mail), and a system Postfix or
# dnsmasq that got started anyway is stopped and disabled. The lab runs private instances only.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(iproute2 dnsmasq-base postfix sasl2-bin libsasl2-modules swaks libnet-ssleay-perl bind9-dnsutils openssl opendkim opendkim-tools)
source "$(dirname "${BASH_SOURCE[0]}")/../common/apt-install.sh"
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string lab.test" | debconf-set-selections
apt_install "lab install" "${PKGS[@]}"

# The packages' own services are not wanted. Only the system instances are touched: the system
# Postfix by its default config (queue /var/spool/postfix), a system dnsmasq by its pid file.
if command -v systemctl >/dev/null 2>&1; then
    for svc in postfix dnsmasq saslauthd opendkim; do
        if systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
        systemctl disable "$svc" >/dev/null 2>&1 || true
    done
fi
if [ -s /var/spool/postfix/pid/master.pid ] && kill -0 "$(tr -d ' ' < /var/spool/postfix/pid/master.pid)" 2>/dev/null; then
    echo "lab install: stopping the system postfix"
    postfix stop >/dev/null 2>&1 || true
fi
if [ -s /run/dnsmasq/dnsmasq.pid ] && kill -0 "$(cat /run/dnsmasq/dnsmasq.pid)" 2>/dev/null; then
    echo "lab install: stopping the system dnsmasq"
    kill "$(cat /run/dnsmasq/dnsmasq.pid)" 2>/dev/null || true
fi
echo "lab install: ok (postfix $(postconf -d -h mail_version 2>/dev/null || echo '?'), $(dnsmasq --version 2>/dev/null | head -1 | cut -d' ' -f1-3))"
