#!/usr/bin/env python3
"""The correo cases of the network lab (issue 12, outbound delivery): correo on a (a.test) and on b
(b.test), Postfix on c (c.test), the lab's sink where a peer must misbehave.

    python3 correo_cases.py CORREO     # as root; CORREO is the correo binary

Each case prints PASS or FAIL with its reason; the last line is `lab correo: N passed, M failed`,
which run.sh adds to the self-test's count. The exit status is 1 if any case failed.

Port 25: correo refuses to bind a port below 1024 as root unless it is given `--user`, so both a and
b run as `--user nobody`. (This lab found that correo's SMTP client set SO_DEBUG instead of
TCP_NODELAY, which only root may set: as nobody every outbound connection failed with "Permission
denied". Fixed; the case `a as --user nobody delivers outbound` keeps it fixed.)
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import MX, Addr, Lab, LabError, Message, Proc, _alive, _netns_names, read_maildir  # noqa: E402
from selftest import case, check, results  # noqa: E402

PASSWORD = "lab-secret-1"
A_USER = "nobody"
# a shortened schedule for every case: a 4xx is retried after 1-2 s, the delay warning after 3 s,
# the failure after 12 s (case "b stopped")
SCHEDULE = ["--queue-retry-min", "1", "--queue-retry-max", "2", "--queue-delay-warning", "3",
            "--queue-lifetime", "12"]



class Correo:
    """One `correo serve` in a lab host: its storage under the lab's work folder, its log, its queue."""

    started: list["Correo"] = []  # every instance, for the teardown check

    def __init__(self, lab: Lab, binary: str, host: str, domain: str | list[str], users: list[str], *, user: str,
                 extra: list[str] = (), name: str | None = None):
        self.lab, self.binary, self.host, self.user = lab, binary, host, user
        self.domains = [domain] if isinstance(domain, str) else list(domain)
        self.extra = list(extra)
        self.storage = lab.work / f"correo-{name or host}"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.proc: Proc | None = None
        self.pids: list[int] = []
        for u in users:
            r = subprocess.run([binary, "user", "add", u, "-s", str(self.storage), "--password-stdin"],
                               input=PASSWORD + "\n", capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise LabError(f"correo user add {u}: {r.stdout}{r.stderr}")
        Correo.started.append(self)

    def argv(self) -> list[str]:
        fqdn = self.lab.hosts[self.host].fqdn
        domains = [arg for d in self.domains for arg in ("--domain", d)]
        return [self.binary, "serve", "-s", str(self.storage), *domains, "--hostname", fqdn,
                "--bind", "::", "--smtp-port", "25", "--submission-port", "587", "--smtps-port", "0",
                "--imap-port", "0", "--imaps-port", "0", "--dns-server", self.lab.ip("dns"),
                "--user", self.user, *self.extra]

    def start(self) -> "Correo":
        self.proc = self.lab.spawn(self.host, self.argv(), name="correo")
        self.pids.append(self.proc.pid)
        for port in (25, 587):
            if not self.lab.wait_port(self.host, self.lab.hosts[self.host].ipv4 or self.lab.ip(self.host, 6), port,
                                      timeout=15, proc=self.proc):
                raise LabError(f"[{self.host}] correo is not listening on port {port}:\n{self.log()[-2000:]}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(grace=5)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def log(self) -> str:
        """The log of every run of this instance (a restart writes a new file)."""
        return "".join(p.output() for p in self.lab.procs if p.pid in self.pids)

    def log_lines(self, needle: str) -> list[str]:
        return [line for line in self.log().splitlines() if needle in line]

    def wait_log(self, pattern: str, timeout: float = 20) -> re.Match | None:
        rx = re.compile(pattern)
        for _ in range(int(timeout / 0.2) + 1):
            m = rx.search(self.log())
            if m:
                return m
            time.sleep(0.2)
        return None

    def maildir(self, address: str) -> Path:
        return self.storage / address.lower()

    def queue_list(self) -> str:
        r = subprocess.run([self.binary, "queue", "list", "-s", str(self.storage)], capture_output=True, text=True,
                           timeout=30)
        return (r.stdout + r.stderr).strip()

    def wait_queue_empty(self, timeout: float = 10) -> str:
        out = ""
        for _ in range(int(timeout / 0.25) + 1):
            out = self.queue_list()
            if "The queue is empty." in out:
                return out
            time.sleep(0.25)
        return out


# ----------------------------------------------------------------------------------------------------
# helpers


def submit(lab: Lab, a: Correo, to: str, subject: str, sender: str = "alice@a.test") -> None:
    """swaks into a's submission port: STARTTLS, AUTH PLAIN as the sender."""
    r = lab.swaks(a.host, "--server", lab.ip(a.host), "--port", "587", "--tls", "--auth", "PLAIN",
                  "--auth-user", sender, "--auth-password", PASSWORD, "--from", sender, "--to", to,
                  "--header", f"Subject: {subject}")
    check(r.returncode == 0, f"submission at {a.host} for {to} failed (swaks exit {r.returncode}): {r.stdout[-500:]}")


def with_subject(msgs: list[Message], subject: str) -> list[Message]:
    return [m for m in msgs if m.header("Subject") == subject]


def wait_subject(maildir: Path, subject: str, count: int = 1, timeout: float = 20) -> list[Message]:
    found: list[Message] = []
    for _ in range(int(timeout / 0.2) + 1):
        found = with_subject(read_maildir(maildir), subject)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return found


def dsns(maildir: Path, about: str, action: str) -> list[Message]:
    """The DSNs in maildir about a recipient with a given Action."""
    return [m for m in read_maildir(maildir)
            if "multipart/report" in (m.header("Content-Type") or "")
            and re.search(r"(?im)^Final-Recipient: rfc822; ?" + re.escape(about) + r"\s*$", m.text)
            and re.search(r"(?im)^Action: " + action + r"\s*$", m.text)]


def wait_dsn(maildir: Path, about: str, action: str, timeout: float = 20) -> Message | None:
    for _ in range(int(timeout / 0.2) + 1):
        found = dsns(maildir, about, action)
        if found:
            return found[0]
        time.sleep(0.2)
    return None


def report_parts(msg: Message) -> list[str]:
    """The content types of a multipart/report's parts, as a mail reader's MIME parser sees them."""
    parsed = email.message_from_bytes(msg.data, policy=email.policy.compat32)
    if not parsed.is_multipart() or parsed.get_content_type() != "multipart/report":
        return [parsed.get_content_type()]
    return [part.get_content_type() for part in parsed.get_payload()]


def attempts(a: Correo, rcpt: str) -> list[str]:
    return [line for line in a.log_lines("delivery attempt") if f"to={rcpt}" in line]


def delivered(line: str) -> bool:
    """A successful attempt: `sent`, or `relayed` when the next hop has no DSN extension (RFC 3461:
    the sink and Postfix without smtpd DSN support)."""
    return "status=sent" in line or "status=relayed" in line


def wait_delivered(a: Correo, rcpt: str, timeout: float = 5) -> list[str]:
    """a's successful attempts for rcpt, waiting for the first (bounded): a logs its attempt after
    the peer's 250, so the message can be in the peer's Maildir a moment before the line is."""
    sent: list[str] = []
    for _ in range(int(timeout / 0.1) + 1):
        sent = [line for line in attempts(a, rcpt) if delivered(line)]
        if sent:
            return sent
        time.sleep(0.1)
    return sent


def field(line: str, name: str) -> str:
    m = re.search(r"\b" + name + r"=(\S+)", line)
    return m.group(1) if m else "?"


def status_of(msg: Message) -> str:
    m = re.search(r"(?im)^Status: (\S+)", msg.text)
    return m.group(1) if m else "?"


def evidence(a: Correo, rcpt: str) -> str:
    lines = [line for line in a.log().splitlines() if rcpt in line or "Permission denied" in line]
    return " | ".join(lines[-4:])[-900:] or "nothing in a's log"


# ----------------------------------------------------------------------------------------------------
# the cases


def a_to_b(lab: Lab, a: Correo, b: Correo) -> str:
    subject = "a to b by MX"
    submit(lab, a, "bob@b.test", subject)
    msgs = wait_subject(b.maildir("bob@b.test"), subject)
    check(len(msgs) == 1, f"{len(msgs)} copies in bob@b.test's Maildir at b; a: {evidence(a, 'bob@b.test')}")
    received = re.findall(r"(?im)^Received: (.*(?:\n[ \t].*)*)", msgs[0].text.replace("\r\n", "\n"))
    top = re.sub(r"\s+", " ", received[0]) if received else ""
    check(top.startswith("from mx.a.test (") and "by mx.b.test (correo)" in top,
          f"b's Received header does not name a: {top!r}")
    sent = wait_delivered(a, "bob@b.test")
    check(sent and field(sent[-1], "relay") == "mx.b.test", f"no sent attempt to mx.b.test logged: {evidence(a, 'bob@b.test')}")
    q = a.wait_queue_empty(10)
    check("The queue is empty." in q, f"a's queue after delivery: {q}")
    return (f"in bob's Maildir at b (relay=mx.b.test tls={field(sent[-1], 'tls')}); Received: "
            f"{top.split(';')[0]}; a's queue empty")


def a_to_postfix(lab: Lab, a: Correo, pf) -> str:
    subject = "a to Postfix on c"
    submit(lab, a, "bob@c.test", subject)
    msgs = wait_subject(pf.maildir("bob@c.test"), subject)
    check(len(msgs) == 1, f"{len(msgs)} copies in bob@c.test's Maildir at c; a: {evidence(a, 'bob@c.test')}")
    received = msgs[0].header("Received") or ""
    check("by mx.c.test (Postfix)" in received and "mx.a.test" in received, f"Received at c: {received}")
    sent = wait_delivered(a, "bob@c.test")
    check(sent, f"no sent attempt logged: {evidence(a, 'bob@c.test')}")
    return f"in bob@c.test's Maildir (relay={field(sent[-1], 'relay')} tls={field(sent[-1], 'tls')})"


def postfix_to_a(lab: Lab, a: Correo, pf) -> str:
    subject = "Postfix on c to a"
    r = lab.swaks("c", "--server", lab.ip("c"), "--from", "carol@c.test", "--to", "alice@a.test",
                  "--header", f"Subject: {subject}")
    check(r.returncode == 0, f"swaks into c's Postfix: exit {r.returncode}: {r.stdout[-400:]}")
    msgs = wait_subject(a.maildir("alice@a.test"), subject)
    check(len(msgs) == 1, f"{len(msgs)} copies in alice's Maildir at a; Postfix: "
          + " | ".join(line for line in pf.log_text().splitlines() if "alice@a.test" in line)[-600:])
    received = re.sub(r"\s+", " ", msgs[0].header("Received") or "")
    check("by mx.a.test (correo)" in received and "mx.c.test" in received, f"Received at a: {received}")
    line = pf.wait_log(r"to=<alice@a\.test>, relay=(\S+), .*status=sent", 5)
    check(line, "Postfix logged no status=sent for alice@a.test")
    return f"in alice's Maildir at a; Postfix: relay={line.group(1)}; Received: {received.split(';')[0]}"


def mx_listener_rules(lab: Lab, a: Correo) -> str:
    """a's port 25 from c without AUTH: an unknown local user is refused at RCPT, and a stranger's
    mail for another domain is not relayed."""
    r = lab.swaks("c", "--server", lab.ip("a"), "--from", "carol@c.test", "--to", "nobody@a.test")
    check(r.returncode != 0 and re.search(r"<\*\* +550 5\.1\.1", r.stdout),
          f"nobody@a.test not refused with 550 5.1.1 at RCPT: {r.stdout[-300:]}")
    r = lab.swaks("c", "--server", lab.ip("a"), "--from", "carol@c.test", "--to", "x@b.test")
    rcpt = re.search(r"<\*\* +(5\d\d[^\n]*)", r.stdout)
    check(r.returncode != 0 and rcpt, f"a relays for a stranger on port 25: {r.stdout[-300:]}")
    return f"nobody@a.test: 550 5.1.1 at RCPT; x@b.test from c: {rcpt.group(1).strip()}"


def refused_recipient(lab: Lab, a: Correo) -> str:
    t0 = time.monotonic()
    submit(lab, a, "nobody@b.test", "to an unknown user at b")
    dsn = wait_dsn(a.maildir("alice@a.test"), "nobody@b.test", "failed", 20)
    check(dsn is not None, f"no failure DSN in alice's INBOX; a: {evidence(a, 'nobody@b.test')}")
    check(status_of(dsn) == "5.1.1", f"Status: {status_of(dsn)}, not 5.1.1")
    check("report-type=delivery-status" in (dsn.header("Content-Type") or ""), f"Content-Type: {dsn.header('Content-Type')}")
    check(re.search(r"(?im)^Diagnostic-Code: smtp; ?550", dsn.text), "no Diagnostic-Code with b's 550")
    parts = report_parts(dsn)
    check(len(parts) == 3 and parts[0] == "text/plain" and parts[1] == "message/delivery-status"
          and parts[2] in ("message/rfc822", "text/rfc822-headers"), f"the report's parts (RFC 3462/6522): {parts}")
    return (f"multipart/report in alice's INBOX after {time.monotonic() - t0:.1f} s ({', '.join(parts)}): "
            f"Action: failed, Status: 5.1.1, From: {dsn.header('From')}")


def null_mx(lab: Lab, a: Correo) -> str:
    t0 = time.monotonic()
    submit(lab, a, "x@nullmx.test", "to a null MX")
    dsn = wait_dsn(a.maildir("alice@a.test"), "x@nullmx.test", "failed", 10)
    took = time.monotonic() - t0
    check(dsn is not None, f"no failure DSN for the null MX; a: {evidence(a, 'x@nullmx.test')}")
    check(status_of(dsn) == "5.1.10", f"Status: {status_of(dsn)}, not 5.1.10")
    a.wait_log(r"status=bounced[^\n]*to=x@nullmx\.test", 5)
    tries = attempts(a, "x@nullmx.test")
    check(len(tries) == 1 and "status=bounced" in tries[0], f"attempts logged: {tries}")
    check(took < 8, f"the bounce took {took:.1f} s")
    return f"bounced at once ({took:.1f} s, one attempt): Status: 5.1.10"


def dead_mx_and_no_mx(lab: Lab, a: Correo, b: Correo) -> str:
    """backup.test: MX 10 mx.dead.test (198.51.100.99, nobody: no route after ARP gives up, ~3 s),
    MX 20 mx.b.test; nomx.test: no MX, b's A/AAAA (RFC 5321 §5.1's implicit MX)."""
    t0 = time.monotonic()
    submit(lab, a, "k@backup.test", "first MX dead")
    submit(lab, a, "n@nomx.test", "no MX")
    got_k = wait_subject(b.maildir("k@backup.test"), "first MX dead", timeout=25)
    took = time.monotonic() - t0
    got_n = wait_subject(b.maildir("n@nomx.test"), "no MX", timeout=10)
    check(len(got_k) == 1, f"backup.test: {len(got_k)} copies at b; a: {evidence(a, 'k@backup.test')}")
    check(len(got_n) == 1, f"nomx.test: {len(got_n)} copies at b; a: {evidence(a, 'n@nomx.test')}")
    sent_k = wait_delivered(a, "k@backup.test")
    sent_n = wait_delivered(a, "n@nomx.test")
    dead = [line for line in a.log().splitlines() if "relay.host=mx.dead.test" in line]
    check(dead, f"mx.dead.test was not tried first: {evidence(a, 'k@backup.test')}")
    check(sent_k and field(sent_k[-1], "relay") == "mx.b.test", f"backup.test attempts: {attempts(a, 'k@backup.test')}")
    check(sent_n, f"nomx.test attempts: {attempts(a, 'n@nomx.test')}")
    why = re.search(r"error=(.*?) queue_id", dead[0])
    return (f"backup.test: MX 10 tried first ({why.group(1) if why else '?'}), delivered by MX 20 (mx.b.test) "
            f"{took:.1f} s after submission; nomx.test: delivered to b by its address (relay={field(sent_n[-1], 'relay')})")


def b_stopped(lab: Lab, a: Correo, b: Correo) -> str:
    """b down: deferred, a delay DSN after 3 s, a failure DSN after 12 s; b up again: nothing more."""
    rcpt, subject = "bob@b.test", "while b is down"
    t0 = time.monotonic()
    b.stop()
    check(not b.alive(), "b's correo did not stop")
    before = len(read_maildir(b.maildir(rcpt)))
    inbox = a.maildir("alice@a.test")
    old_delayed, old_failed = len(dsns(inbox, rcpt, "delayed")), len(dsns(inbox, rcpt, "failed"))
    submit(lab, a, rcpt, subject)
    t_sub = time.monotonic()
    delayed = None
    for _ in range(100):  # at most 10 s; the warning is due 3 s after arrival
        found = dsns(inbox, rcpt, "delayed")
        if len(found) > old_delayed:
            delayed = found[-1]
            break
        time.sleep(0.1)
    t_delay = time.monotonic() - t_sub
    check(delayed is not None, f"no delay DSN (Action: delayed) in 10 s; a: {evidence(a, rcpt)}")
    check(status_of(delayed).startswith("4."), f"delay DSN Status: {status_of(delayed)}")
    failed = None
    for _ in range(100):  # at most 20 s; the lifetime is 12 s
        found = dsns(inbox, rcpt, "failed")
        if len(found) > old_failed:
            failed = found[-1]
            break
        time.sleep(0.2)
    t_fail = time.monotonic() - t_sub
    check(failed is not None, f"no failure DSN (Action: failed) {t_fail:.0f} s after submission; a: {evidence(a, rcpt)}")
    deferrals = [line for line in attempts(a, rcpt) if "status=deferred" in line]
    q = a.wait_queue_empty(5)
    check("The queue is empty." in q, f"a's queue after the failure DSN: {q}")
    b.start()
    time.sleep(3)  # a's retry interval is ≤ 2 s: a message still queued would be tried by now
    after = with_subject(read_maildir(b.maildir(rcpt)), subject)
    check(not after, f"the given-up message arrived at b after its restart ({len(after)} copies)")
    check(len(read_maildir(b.maildir(rcpt))) == before, "something else arrived at b after its restart")
    check(len(dsns(inbox, rcpt, "failed")) == old_failed + 1 and len(dsns(inbox, rcpt, "delayed")) == old_delayed + 1,
          "more than one delay or failure DSN")
    return (f"{len(deferrals)} deferred attempts; delay DSN after {t_delay:.1f} s (Status {status_of(delayed)}), "
            f"failure DSN after {t_fail:.1f} s (Status {status_of(failed)}); b restarted: nothing arrived "
            f"({time.monotonic() - t0:.0f} s in all)")


def deferred_once(lab: Lab, a: Correo) -> str:
    """The sink on host `down` (now mx.defer.test) answers the first DATA 451 4.3.0."""
    lab.add_record(MX("defer.test", "mx.defer.test"), Addr("mx.defer.test", lab.ip("down")),
                   Addr("mx.defer.test", lab.ip("down", 6)))
    sink = lab.start_sink("down", hostname="mx.defer.test", args=["--defer-first", "1"])
    rcpt = "d@defer.test"
    submit(lab, a, rcpt, "deferred once")
    msgs: list[Message] = []
    for _ in range(75):  # 15 s; the retry comes after 1-2 s
        msgs = read_maildir(sink.maildir(rcpt))
        if msgs:
            break
        time.sleep(0.2)
    check(msgs, f"never delivered to the sink; a: {evidence(a, rcpt)}")
    time.sleep(3)  # a second copy would come within a retry interval
    n = len(read_maildir(sink.maildir(rcpt)))
    tries = attempts(a, rcpt)
    deferred = [line for line in tries if "status=deferred" in line]
    sent = [line for line in tries if delivered(line)]
    check(n == 1, f"{n} copies at the sink")
    check(deferred and "451" in deferred[0], f"no deferral with the sink's 451 logged: {tries}")
    check(len(sent) == 1, f"{len(sent)} sent attempts logged")
    q = a.wait_queue_empty(5)
    check("The queue is empty." in q, f"a's queue: {q}")
    sink.stop()
    return f"{len(deferred)} deferral(s) with 451, then sent once; one copy at the sink"


def ipv6_only(lab: Lab, a: Correo) -> str:
    sink = lab.start_sink("v6")
    rcpt = "w@v6.test"
    submit(lab, a, rcpt, "to an IPv6-only MX")
    ev = None
    for _ in range(75):
        evs = [e for e in sink.received() if rcpt in e["rcpt_to"]]
        if evs:
            ev = evs[0]
            break
        time.sleep(0.2)
    check(ev is not None, f"never reached the sink on v6; a: {evidence(a, rcpt)}")
    check(ev["peer"] == lab.ip("a", 6), f"the sink saw {ev['peer']}, not a's IPv6 {lab.ip('a', 6)}")
    sent = wait_delivered(a, rcpt)
    check(sent, f"no sent attempt logged: {attempts(a, rcpt)}")
    sink.stop()
    return f"delivered to mx.v6.test from {ev['peer']} (tls={field(sent[-1], 'tls')})"


def unprivileged_sender(lab: Lab, binary: str, a: Correo) -> str:
    """a as --user nobody (the way to bind port 25) sends to b (the SO_DEBUG regression)."""
    a.stop()
    a2 = Correo(lab, binary, "a", "a.test", ["alice@a.test"], user="nobody", extra=SCHEDULE, name="a-nobody").start()
    try:
        subject = "from a running as nobody"
        submit(lab, a2, "bob@b.test", subject)
        b_dir = lab.work / "correo-b" / "bob@b.test"
        msgs = wait_subject(b_dir, subject, timeout=10)
        check(msgs, f"not delivered in 10 s; a: {evidence(a2, 'bob@b.test')}")
        return "delivered"
    finally:
        a2.stop()


def has_relay_cafile(binary: str) -> bool:
    """Whether this correo can be told which CA to trust for the smarthost (`--relay-cafile`)."""
    r = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return "--relay-cafile" in r.stdout + r.stderr


def smarthost(lab: Lab, binary: str, a: Correo, pf) -> str:
    """a with --relay-host mx.c.test:587 and AUTH (Postfix's submission port: STARTTLS required, then
    AUTH PLAIN/LOGIN from its sasldb) relays bob@b.test through c. c's certificate is self-made
    (peers.make_cert) and correo verifies the relay host against the system trust store and has no
    option to name another CA yet (`--relay-cafile`, used when correo has it): so c's certificate
    is added to host a's own trust store (lab.trust_ca, a's /etc/ssl only), as an operator would
    add a private relay's CA. correo's verification is not weakened."""
    a.stop()
    ca = pf.dir / "tls" / "cert.pem"
    cafile = has_relay_cafile(binary)
    pwfile = lab.work / "relay-password"
    pwfile.write_text(PASSWORD + "\n")
    pwfile.chmod(0o644)
    a3 = Correo(lab, binary, "a", "a.test", ["alice@a.test"], user=A_USER, name="a-smarthost",
                extra=[*SCHEDULE, "--relay-host", "mx.c.test:587", "--relay-user", "relay@c.test",
                       "--relay-password-file", str(pwfile)]).start()
    try:
        rcpt, subject = "bob@b.test", "through the smarthost"
        # first without trusting c: the handshake must fail, the message stays queued
        submit(lab, a3, rcpt, subject)
        untrusted = a3.wait_log(r"error=(the TLS handshake failed[^\n]*?) queue_id", 10)
        check(untrusted, f"no TLS failure with c's self-made certificate untrusted; a: {evidence(a3, rcpt)}")
        check(not wait_subject(lab.work / "correo-b" / rcpt, subject, timeout=0),
              "delivered through c although c's certificate is not trusted")
        a3.stop()
        queued = a3.queue_list()
        check("bob@b.test" in queued, f"not in a's queue after the failed handshakes: {queued}")
        # then trusting it: the queued message goes through after the restart
        if cafile:
            a3.extra += ["--relay-cafile", str(ca)]
        else:
            lab.trust_ca("a", ca)
        a3.start()
        msgs = wait_subject(lab.work / "correo-b" / rcpt, subject, timeout=15)
        check(msgs, f"not in b's Maildir in 15 s; a: {evidence(a3, rcpt)}; c: "
              + " | ".join(line for line in pf.log_text().splitlines() if "submission" in line)[-500:])
        sent = wait_delivered(a3, rcpt)
        check(sent and field(sent[-1], "relay") == "mx.c.test" and field(sent[-1], "tls") == "true",
              f"a's attempts: {attempts(a3, rcpt)}")
        login = pf.wait_log(r"postfix/submission/smtpd\[\d+\]: \w+: client=mx\.a\.test\[[^]]+\], "
                            r"sasl_method=(\w+), sasl_username=relay@c\.test", 5)
        check(login, "c's log has no submission login of relay@c.test")
        received = " ".join(re.sub(r"\s+", " ", r) for r in re.findall(r"(?im)^Received: (.*(?:\n[ \t].*)*)",
                                                                      msgs[0].text.replace("\r\n", "\n")))
        check("by mx.c.test (Postfix)" in received, f"the message did not pass through c: {received[:300]}")
        how = "--relay-cafile" if cafile else "c's certificate added to a's trust store"
        return (f"untrusted first: {untrusted.group(1)[:60]}…, stays queued; with {how}, after a restart: "
                f"a → c (STARTTLS, AUTH {login.group(1)} as relay@c.test) → b by MX, in bob's Maildir")
    finally:
        a3.stop()


# ----------------------------------------------------------------------------------------------------


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_script(argv: list[str], label: str, title: str, cases) -> int:
    """A correo lab script: signals that tear the lab down, the CORREO argument checked and copied into a
    temporary folder (a rebuild of the original during the run must not change the binary under the
    cases), `cases(lab, binary)` in a fresh lab, the teardown case, and the closing `LABEL: N passed, M
    failed` line. Returns the exit status."""
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, _interrupt)
    args = [x for x in argv[1:] if not x.startswith("--")]
    if len(args) != 1:
        print(f"usage: {Path(argv[0]).name} CORREO", file=sys.stderr)
        print(f"{label}: 0 passed, 1 failed")
        return 2
    t_start = time.monotonic()
    src = Path(args[0])
    print(f"{title}: {src}", flush=True)
    if not (src.is_file() and os.access(src, os.X_OK)):
        print(f"FAIL correo binary: {src} is not an executable file")
        print(f"{label}: 0 passed, 1 failed")
        return 1
    bindir = Path(tempfile.mkdtemp(prefix="correo-lab-bin-"))
    bindir.chmod(0o755)
    binary = str(bindir / "correo")
    shutil.copy2(src, binary)
    try:
        with Lab() as lab:
            cases(lab, binary)
            if not all(ok for _, ok, _ in results):
                lab.failed = True
    except LabError as e:
        results.append(("lab build", False, str(e)))
        print(f"FAIL lab build: {e}")
    except KeyboardInterrupt:
        print(f"{label}: interrupted; torn down")
        results.append(("interrupted", False, "Ctrl-C or SIGTERM"))
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
    case("teardown: every correo stopped, no lab namespace left", every_correo_stopped)
    return closing(label, t_start)


def main(argv: list[str]) -> int:
    def cases(lab: Lab, binary: str) -> None:
        pf = lab.start_postfix("c", "c.test", sasl_users={"relay@c.test": PASSWORD})
        # b also takes backup.test (its MX 20, after a dead MX 10) and nomx.test (no MX, b's A/AAAA)
        b = Correo(lab, binary, "b", ["b.test", "backup.test", "nomx.test"],
                   ["bob@b.test", "k@backup.test", "n@nomx.test"], user="nobody").start()
        a = Correo(lab, binary, "a", "a.test", ["alice@a.test"], user=A_USER, extra=SCHEDULE).start()
        case("correo a → correo b by MX (submission with AUTH at a)", a_to_b, lab, a, b)
        case("correo a → Postfix on c by MX", a_to_postfix, lab, a, pf)
        case("Postfix on c → correo a by MX", postfix_to_a, lab, a, pf)
        case("a's MX listener: unknown user 550 5.1.1, no open relay", mx_listener_rules, lab, a)
        case("b refuses an unknown user: failure DSN (5.1.1) in alice's INBOX", refused_recipient, lab, a)
        case("null MX (nullmx.test): bounced at once with 5.1.10", null_mx, lab, a)
        case("dead first MX (backup.test) and no MX (nomx.test): delivered to b", dead_mx_and_no_mx, lab, a, b)
        case("b stopped: delay DSN, then failure DSN; b restarted: nothing more", b_stopped, lab, a, b)
        case("a peer answering 451 first (sink): retried, delivered once", deferred_once, lab, a)
        case("IPv6-only MX (v6.test): delivered over IPv6", ipv6_only, lab, a)
        # the cases below stop a: they come last
        case("smarthost: a → Postfix's submission port on c (STARTTLS, AUTH) → b", smarthost, lab, binary, a, pf)
        case("a as --user nobody delivers outbound (SO_DEBUG regression)", unprivileged_sender, lab, binary, a)

    return run_script(argv, "lab correo", "lab correo cases (issue 12)", cases)


def every_correo_stopped() -> str:
    """The teardown case of every correo script: no correo it started runs on, no lab namespace is left."""
    pids = [p for c in Correo.started for p in c.pids]
    alive = [p for p in pids if _alive(p)]
    check(not alive, f"correo processes still running: {alive}")
    names = [n for n in _netns_names() if n.startswith("clab-")]
    check(not names, f"lab namespaces left: {names}")
    return f"{len(pids)} correo process(es) started, none left; no lab namespace left"


def closing(label: str, t_start: float) -> int:
    """Prints the time taken and the `LABEL: N passed, M failed` line run.sh reads; the exit status."""
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"{label}: cases took {time.monotonic() - t_start:.1f} s")
    print(f"{label}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
