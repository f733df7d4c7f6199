"""The lab's peers: private Postfix instances and the SMTP sink (sink.py), started in a host by
lab.Lab.start_postfix / start_sink.

What a private Postfix instance needs that the system one gets from its package (the pitfalls met):
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

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from lab import HERE, LabError, Proc, _alive, _kill_all, _sh

if TYPE_CHECKING:
    from lab import Lab

DEFAULT_USERS = ("alice", "bob", "carol", "dave")  # local parts a lab Postfix has Maildirs for


@dataclass
class Postfix:
    """A private Postfix instance in one host: config, queue and data in its own folder."""

    lab: "Lab"
    host: str
    domain: str
    dir: Path
    conf: Path
    vmail: Path
    log: Path
    ports: dict

    def maildir(self, address: str) -> Path:
        """The Maildir of address (made by Postfix at its first message)."""
        return self.vmail / address.lower()

    def postqueue(self, *args: str) -> str:
        return self.lab.run(self.host, ["postqueue", "-c", str(self.conf), *args], check=False).stdout

    def flush(self) -> None:
        self.postqueue("-f")

    def queue_empty(self) -> bool:
        return "Mail queue is empty" in self.postqueue("-p")

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 20) -> re.Match | None:
        """Waits for a line of Postfix's log matching pattern (a regex)."""
        rx = re.compile(pattern)
        for _ in range(int(timeout / 0.2) + 1):
            m = rx.search(self.log_text())
            if m:
                return m
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        self.lab.run(self.host, ["postfix", "-c", str(self.conf), "stop"], check=False, timeout=20)
        pidfile = self.dir / "spool" / "pid" / "master.pid"
        for _ in range(100):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                return
            if not _alive(pid):
                return
            time.sleep(0.1)
        try:
            _kill_all([int(pidfile.read_text().strip())])
        except (OSError, ValueError):
            pass


@dataclass
class Sink:
    """The lab's SMTP sink (sink.py) in one host: Maildirs under maildirs/, one JSON line a message."""

    proc: Proc
    host: str
    maildirs: Path
    events: Path

    def maildir(self, address: str) -> Path:
        return self.maildirs / address.lower()

    def received(self) -> list[dict]:
        try:
            lines = self.events.read_text().splitlines()
        except OSError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        self.proc.stop()


def make_cert(name: str, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    _sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)], timeout=60)
    key.chmod(0o600)
    return cert, key

def start_postfix(lab: "Lab", host: str, domain: str, *, users: Iterable[str] = DEFAULT_USERS,
                  sasl_users: dict[str, str] | None = None,
                  smtp_port: int = 25, submission_port: int | None = 587, mynetworks: Iterable[str] = (),
                  relayhost: str | None = None, main: dict[str, str] | None = None) -> Postfix:
    """A private Postfix in host, for domain: mail to each of users (local parts; postmaster and
    the SASL users of the domain too) goes into vmail/LOCAL@DOMAIN/ (Maildir), any other local
    part is refused at RCPT (550 5.1.1); other domains are relayed by MX through the lab's DNS for
    mynetworks (the host's own addresses are always in) and for users authenticated on the
    submission port (STARTTLS required, AUTH PLAIN/LOGIN from a sasldb holding sasl_users).
    `main` overrides main.cf parameters (e.g. retry times for the queue tests)."""
    h = lab.hosts[host]
    d = lab.work / f"postfix-{host}"
    if d.exists():
        raise LabError(f"a Postfix already runs in {host}")
    conf, vmail, logd = d / "etc", d / "vmail", d / "log"
    for p in (conf, d / "spool", d / "data", vmail, logd):
        p.mkdir(parents=True, exist_ok=True)
    d.chmod(0o755)
    shutil.chown(vmail, "nobody", "nogroup")
    shutil.chown(d / "data", "postfix")
    fqdn = h.fqdn or f"{host}.{domain}"
    cert, key = make_cert(fqdn, d / "tls")
    addrs = [ip for ip in (h.ipv4, h.ipv6) if ip]
    nets = ["127.0.0.0/8", "[::1]/128"] + [f"{ip}/32" if ":" not in ip else f"[{ip}]/128" for ip in addrs]
    nets += [n if ":" not in n or n.startswith("[") else f"[{n.split('/')[0]}]/{n.split('/')[1]}" for n in mynetworks]
    sasl = conf / "sasl"
    sasl.mkdir(exist_ok=True)
    sasldb = conf / "sasldb2"
    (sasl / "smtpd.conf").write_text(f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
                                     f"sasldb_path: {sasldb}\n")
    for user, password in (sasl_users or {}).items():
        local, _, realm = user.partition("@")
        _sh(["saslpasswd2", "-f", str(sasldb), "-p", "-c", "-u", realm or domain, local], input=password)
    if sasldb.exists():
        shutil.chown(sasldb, "root", "postfix")
        sasldb.chmod(0o640)
    locals_ = set(users) | {"postmaster"} | {u.partition("@")[0] for u in (sasl_users or {}) if u.endswith("@" + domain)}
    (conf / "vmailbox").write_text("".join(f"{u}@{domain} {u}@{domain}/\n" for u in sorted(locals_)))
    (conf / "main.cf").write_text(main_cf(
        dir=d, conf=conf, vmail=vmail, log=logd, domain=domain, fqdn=fqdn, addrs=addrs, mynetworks=nets,
        cert=cert, key=key, relayhost=relayhost, extra=main or {}))
    (conf / "master.cf").write_text(master_cf(smtp_port, submission_port))
    ports = {"smtp": smtp_port, **({"submission": submission_port} if submission_port else {})}
    pf = Postfix(lab, host, domain, d, conf, vmail, logd / "postfix.log", ports)
    # `postfix start` checks the instance first and makes the queue's folders with their owners and
    # modes (set-permissions is not needed, and would also rewrite the modes of the package's files)
    start = lab.run(host, ["postfix", "-c", str(conf), "start"], check=False, timeout=60)
    if start.returncode != 0:
        # postfix(1) reports fatal configuration errors to syslog only; postconf shows them on stderr
        pc = lab.run(host, ["postconf", "-c", str(conf), "-n"], check=False)
        raise LabError(f"[{host}] postfix did not start:\n{start.stderr}{pc.stderr}\n"
                       f"{pf.log_text()[-2000:]}".rstrip())
    lab.postfixes.append(pf)
    for ip in addrs:
        for port in ports.values():
            if not lab.wait_port(host, ip, port, timeout=15):
                raise LabError(f"[{host}] postfix is not listening on {ip} port {port}:\n{pf.log_text()[-2000:]}")
    return pf

def start_sink(lab: "Lab", host: str, port: int = 25, hostname: str | None = None, args: Iterable[str] = ()) -> Sink:
    """The lab's SMTP sink (sink.py) on host's addresses: every recipient gets a Maildir under
    maildirs/; `args` are sink.py's options (--defer-first N, --reject-rcpt REGEX, --starttls ...)."""
    h = lab.hosts[host]
    d = lab.work / f"sink-{host}-{port}"
    d.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(HERE / "sink.py"), "--maildirs", str(d / "maildirs"), "--events", str(d / "events.jsonl"),
            "--hostname", hostname or h.fqdn or f"{host}.test"]
    addrs = [ip for ip in (h.ipv4, h.ipv6) if ip]
    for ip in addrs:
        argv += ["--listen", f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"]
    proc = lab.spawn(host, argv + list(args), name="sink")
    for ip in addrs:
        if not lab.wait_port(host, ip, port, timeout=10, proc=proc):
            raise LabError(f"[{host}] the sink did not listen on {ip} port {port}:\n{proc.output()[-2000:]}")
    return Sink(proc, host, d / "maildirs", d / "events.jsonl")



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
