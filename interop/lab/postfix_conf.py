"""main.cf and master.cf of the lab's private Postfix instances (see lab.Lab.start_postfix).

What a private instance needs that the system one gets from its package (the pitfalls met):
- config_directory, queue_directory and data_directory all in the instance's folder, and
  `postfix -c DIR` for every command (postqueue too); mail_owner/setgid_group are the package's.
- chroot off in master.cf (column 5 = n): the queue folder is not a prepared chroot (no
  etc/resolv.conf, no libraries), and outside a chroot smtp reads /etc/resolv.conf, which
  `ip netns exec` has bind-mounted from /etc/netns/HOST/resolv.conf.
- inet_interfaces names the host's lab addresses: the listeners bind there only, and Postfix knows
  them as "myself" (an MX pointing back at the host is a loop, not a delivery).
- maillog_file with postlogd in master.cf, and maillog_file_prefixes allowing the instance's folder:
  there is no syslog in the lab, and postfix(1) reports fatal errors only to syslog or a terminal.
- Cyrus SASL reads its smtpd.conf from cyrus_sasl_config_path (not /etc/postfix/sasl), and the
  sasldb must be readable by the postfix user (smtpd runs as mail_owner).
- alias_maps and alias_database empty (no /etc/aliases lookups), mydestination empty: local mail
  goes through the virtual delivery agent into Maildirs, owned by nobody.
"""

from __future__ import annotations

from pathlib import Path


def main_cf(*, dir: Path, conf: Path, vmail: Path, log: Path, domain: str, fqdn: str, addrs: list[str],
            mynetworks: list[str], cert: Path, key: Path, relayhost: str | None, extra: dict[str, str]) -> str:
    params = {
        "compatibility_level": "3.6",
        "config_directory": str(conf),
        "queue_directory": str(dir / "spool"),
        "data_directory": str(dir / "data"),
        "mail_owner": "postfix",
        "setgid_group": "postdrop",
        "shlib_directory": "/usr/lib/postfix",
        "myhostname": fqdn,
        "mydomain": domain,
        "myorigin": domain,
        "mydestination": "",
        "relay_domains": "",
        "mynetworks": " ".join(mynetworks),
        "inet_interfaces": ", ".join(addrs),
        "inet_protocols": "all",
        "smtp_address_preference": "any",
        "alias_maps": "",
        "alias_database": "",
        "local_recipient_maps": "",
        "biff": "no",
        "append_dot_mydomain": "no",
        "smtpd_banner": "$myhostname ESMTP Postfix (lab)",
        "virtual_mailbox_domains": domain,
        "virtual_mailbox_base": str(vmail),
        "virtual_mailbox_maps": f"texthash:{conf}/vmailbox",
        "virtual_minimum_uid": "1",
        "virtual_uid_maps": "static:65534",
        "virtual_gid_maps": "static:65534",
        "virtual_mailbox_limit": "0",
        "message_size_limit": "52428800",
        "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        "smtpd_recipient_restrictions": "",
        # TLS: offered on 25, required on submission; opportunistic to the next hop
        "smtpd_tls_cert_file": str(cert),
        "smtpd_tls_key_file": str(key),
        "smtpd_tls_security_level": "may",
        "smtpd_tls_auth_only": "yes",
        "smtpd_tls_loglevel": "1",
        "smtpd_tls_received_header": "yes",
        "smtp_tls_security_level": "may",
        "smtp_tls_loglevel": "1",
        # AUTH: Cyrus SASL with a private sasldb, only on the submission port (master.cf)
        "smtpd_sasl_type": "cyrus",
        "smtpd_sasl_path": "smtpd",
        "cyrus_sasl_config_path": str(conf / "sasl"),
        "smtpd_sasl_auth_enable": "no",
        "smtpd_sasl_security_options": "noanonymous",
        "smtpd_sasl_local_domain": "",
        # a lab is small and fast: no waiting that a test would have to sit through
        "smtp_connect_timeout": "5s",
        "smtp_helo_timeout": "30s",
        "delay_warning_time": "0h",
        "maillog_file": str(log / "postfix.log"),
        "maillog_file_prefixes": str(log),
        "notify_classes": "resource, software",
    }
    if relayhost:
        params["relayhost"] = relayhost
    params.update(extra)
    return "".join(f"{k} = {v}\n" for k, v in params.items())


def master_cf(smtp_port: int, submission_port: int | None) -> str:
    lines = [f"{smtp_port} inet n - n - - smtpd"]
    if submission_port:
        lines += [
            f"{submission_port} inet n - n - - smtpd",
            "  -o syslog_name=postfix/submission",
            "  -o smtpd_tls_security_level=encrypt",
            "  -o smtpd_sasl_auth_enable=yes",
            "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject",
            "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject",
        ]
    lines += [
        "pickup    unix  n       -       n       60      1       pickup",
        "cleanup   unix  n       -       n       -       0       cleanup",
        "qmgr      unix  n       -       n       300     1       qmgr",
        "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
        "rewrite   unix  -       -       n       -       -       trivial-rewrite",
        "bounce    unix  -       -       n       -       0       bounce",
        "defer     unix  -       -       n       -       0       bounce",
        "trace     unix  -       -       n       -       0       bounce",
        "verify    unix  -       -       n       -       1       verify",
        "flush     unix  n       -       n       1000?   0       flush",
        "proxymap  unix  -       -       n       -       -       proxymap",
        "proxywrite unix -       -       n       -       1       proxymap",
        "smtp      unix  -       -       n       -       -       smtp",
        "relay     unix  -       -       n       -       -       smtp",
        "showq     unix  n       -       n       -       -       showq",
        "error     unix  -       -       n       -       -       error",
        "retry     unix  -       -       n       -       -       error",
        "discard   unix  -       -       n       -       -       discard",
        "virtual   unix  -       n       n       -       -       virtual",
        "anvil     unix  -       -       n       -       1       anvil",
        "scache    unix  -       -       n       -       1       scache",
        "postlog   unix-dgram n  -       n       -       1       postlogd",
    ]
    return "\n".join(lines) + "\n"
