#!/usr/bin/env bash
# Installs the real peers the tests drive: swaks, openssl, curl, Dovecot and the IMAP clients of the
# interop harness (interop/common/install-deps.sh, which keeps system daemons stopped), libcrypt's
# header for the CCrypt module, dnsmasq (dnsmasq-base: the binary only, no system service) for the DNS
# resolver's tests, Python's aiosmtpd for the SMTP client's sink, and the Python `mailmerge` tool that
# `correo send`'s output is compared with (MailmergeOracleTests). MailAuth's peers: OpenDKIM's tools
# (opendkim-genkey, opendkim-testmsg), dkimpy (dkimsign, dkimverify; pynacl for Ed25519), pyspf and
# dnspython, which both use to ask the tests' dnsmasq; authres parses correo's Authentication-Results.
# Prometheus' promtool (package prometheus, ~95 MB: the server is not started) checks correo's /metrics.
# INN (inn2, interop/nntp/install-inn.sh: system service stopped and disabled) is the NNTP reference;
# slrn, tin and suck read a group from correo in interop/nntp/{slrn,tin,suck}.sh.
# Thunderbird (~250 MB with GTK; run headless, no Xvfb needed) finds correo's autoconfig and logs in
# (interop/e2e/thunderbird_autoconfig.py, PublishingEndToEndTests); on an Xvfb display (xvfb) it reads a
# `serve --dev` mailbox (interop/e2e/thunderbird_dev_mailbox.py, DevModeTests).
# PostgreSQL (postgresql: initdb, postgres, pg_isready in /usr/lib/postgresql/*/bin) for the PostgreSQL
# store's tests, which start a private server per test (MailTestSupport's PostgresServer); the system
# cluster is not started (policy-rc.d) and not used.
# e2fsprogs and mount (mkfs.ext4, mount -o loop) for the journaled scratch file systems of
# JournalOrderingTests, which also crash one (EXT4_IOC_SHUTDOWN) to read back what survived.
# Idempotent and non-interactive
# (CI=true, no stdin).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive
source "$here/../interop/common/apt-install.sh"
apt_install "install-test-deps" e2fsprogs mount libcrypt-dev dnsmasq-base opendkim-tools prometheus slrn tin suck ca-certificates
apt_install "install-test-deps" thunderbird xvfb
# serve --dev's web page in headless Chromium (interop/dev/browser_check.py).
apt_install "install-test-deps" chromium fonts-dejavu-core
apt_install "install-test-deps" postgresql
bash "$here/../interop/common/install-deps.sh"
bash "$here/../interop/nntp/install-inn.sh"
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd </dev/null
python3 -c 'import mailmerge' 2>/dev/null || python3 -m pip install -q mailmerge </dev/null
python3 -c 'import dkim, nacl, spf, dns.resolver, authres' 2>/dev/null || python3 -m pip install -q dkimpy pynacl pyspf dnspython authres </dev/null
# serve --dev's OpenAPI document is fuzzed with schemathesis (interop/dev/schemathesis_check.py).
python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install -q schemathesis </dev/null
echo "install-test-deps: ok"
