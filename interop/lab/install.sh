#!/usr/bin/env bash
# Installs what the network lab drives, idempotently and non-interactively (CI=true, no stdin):
#   iproute2 (ip netns), dnsmasq-base (the dnsmasq binary without its system service), postfix,
#   sasl2-bin (saslpasswd2 for the sasldb behind Postfix's AUTH), libsasl2-modules (PLAIN/LOGIN),
#   swaks with libnet-ssleay-perl (its STARTTLS), bind9-dnsutils (dig), openssl.
# No system daemon is left running: a policy-rc.d that exits 101 forbids maintainer scripts from
# starting services during the install (kept if one already exists), Postfix gets the debconf answer
# "No configuration" (no system main.cf that would accept or relay mail), and a system Postfix or
# dnsmasq that got started anyway is stopped and disabled. The lab runs private instances only.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(iproute2 dnsmasq-base postfix sasl2-bin libsasl2-modules swaks libnet-ssleay-perl bind9-dnsutils openssl)
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "lab install: all present (${PKGS[*]})"
else
    echo "lab install: installing ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        created_policy=1
    fi
    cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
    trap cleanup EXIT
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string lab.test" | debconf-set-selections
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
        apt-get "${APT_OPTS[@]}" update -q < /dev/null
    fi
    if ! apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}" < /dev/null; then
        # stale package lists, or another process left dpkg half-way: refresh, finish, retry once
        apt-get "${APT_OPTS[@]}" update -q < /dev/null
        dpkg --configure -a < /dev/null || true
        apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}" < /dev/null
    fi
fi

# The packages' own services are not wanted. Only the system instances are touched: the system
# Postfix by its default config (queue /var/spool/postfix), a system dnsmasq by its pid file.
if command -v systemctl >/dev/null 2>&1; then
    for svc in postfix dnsmasq saslauthd; do
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
