#!/usr/bin/env python3
"""The lab's self-test: real peers only (dnsmasq, Postfix, swaks, the lab's sink), no correo: its
cases are in correo_cases.py, which run.sh runs after this one.

    python3 selftest.py [CORREO]      # as root; CORREO is only printed

Each case prints PASS or FAIL with its reason; the last line is `lab: N passed, M failed`, and the
exit status is 1 if any case failed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import Lab, LabError, _alive, _netns_names, _ns_inode, _pids_in_netns, read_maildir  # noqa: E402

results: list[tuple[str, bool, str]] = []
PASSWORD = "lab-secret-1"


def case(name: str, fn, *args) -> None:
    t0 = time.monotonic()
    try:
        detail = fn(*args) or ""
        ok = True
    except AssertionError as e:
        ok, detail = False, str(e)
    except (LabError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        ok, detail = False, f"{type(e).__name__}: {e}"
    except Exception as e:  # a bug in the case itself: say where
        ok, detail = False, f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'} {name} ({time.monotonic() - t0:.1f} s){': ' + detail if detail else ''}",
          flush=True)


def check(cond, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


def host_network_snapshot() -> str:
    """The machine's own network namespace as `ip` shows it (no counters): it must not change."""
    parts = []
    for argv in (["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["ip", "-6", "route"], ["ip", "rule"]):
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
        parts.append(re.sub(r"valid_lft \S+ preferred_lft \S+", "", out))
    for f in ("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"):
        parts.append(f"{f}={Path(f).read_text().strip()}")
    return "\n".join(parts)


LAB_PORTS = {"25", "53", "587"}


def listening_on_host() -> set[str]:
    """The machine's listeners on the ports the lab's peers use (other ports come and go with other
    people's work on the machine)."""
    out = subprocess.run(["ss", "-Htlnu"], capture_output=True, text=True, timeout=10).stdout
    addrs = {line.split()[4] for line in out.splitlines() if len(line.split()) > 4}
    return {a for a in addrs if a.rsplit(":", 1)[-1] in LAB_PORTS}


def dig_txt(answer: list[str]) -> str:
    """`dig +short` TXT output ("part" "part") back to the record's text."""
    return "".join("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', line)) for line in answer)


# ----------------------------------------------------------------------------------------------------
# cases before the lab: a lab left by a killed run


def leftover_from_killed_run() -> dict:
    """Starts `lab.py up` in a child, kills it with SIGKILL once the lab is up: its namespaces and
    dnsmasq stay behind for the next Lab() to clean."""
    child = subprocess.Popen([sys.executable, str(HERE / "lab.py"), "up"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    up = False
    watchdog = threading.Timer(60, lambda: os.killpg(child.pid, signal.SIGKILL))  # readline() is not bounded
    watchdog.start()
    try:
        for _ in range(200):  # a few lines of output, the last one "lab: up"
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith("lab: up"):
                up = True
                break
    finally:
        watchdog.cancel()
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    names = [n for n in _netns_names() if n.startswith("clab-")]
    inodes = {i for i in (_ns_inode(n) for n in names) if i}
    return {"up": up, "names": names, "pids": _pids_in_netns(inodes) if inodes else []}


# ----------------------------------------------------------------------------------------------------
# cases in the lab


def dns_from_a(lab: Lab) -> str:
    resolv = lab.run("a", ["cat", "/etc/resolv.conf"]).stdout
    check("nameserver 198.51.100.53" in resolv, f"a's /etc/resolv.conf is not the lab's: {resolv!r}")
    check("198.51.100.53" not in Path("/etc/resolv.conf").read_text(), "the machine's /etc/resolv.conf was changed")
    mx = lab.dig("a", "b.test", "MX")
    check(mx == ["10 mx.b.test."], f"b.test MX: {mx}")
    a = lab.dig("a", "mx.c.test", "A")
    check(a == ["198.51.100.12"], f"mx.c.test A: {a}")
    aaaa = lab.dig("a", "mx.v6.test", "AAAA")
    check(aaaa == ["2001:db8:100::60"], f"mx.v6.test AAAA: {aaaa}")
    check(lab.dig("a", "mx.v6.test", "A") == [], "mx.v6.test has an A record")
    null = lab.dig("a", "nullmx.test", "MX")
    check(null == ["0 ."], f"nullmx.test MX: {null}")
    ptr = lab.run("a", ["dig", "+short", "-x", "198.51.100.11"]).stdout.split()
    check(ptr == ["mx.b.test."], f"PTR of 198.51.100.11: {ptr}")
    nx = lab.run("a", ["dig", "nope.test", "A"]).stdout
    check("status: NXDOMAIN" in nx and " aa" in nx, "nope.test is not an authoritative NXDOMAIN")
    out = lab.run("a", ["dig", "example.com", "A", "+time=1", "+tries=1"], check=False).stdout
    check("ANSWER: 0" in out or "REFUSED" in out or "timed out" in out, "a name outside .test got an answer")
    pyaddr = lab.run("a", [sys.executable, "-c", "import socket; print(sorted({i[4][0] for i in socket.getaddrinfo('mx.b.test', 25)}))"]).stdout.strip()
    check(pyaddr == "['198.51.100.11', '2001:db8:100::11']", f"getaddrinfo(mx.b.test) in a: {pyaddr}")
    v6 = lab.dig("v6", "c.test", "MX")
    check(v6 == ["10 mx.c.test."], f"c.test MX from the IPv6-only host: {v6}")
    return "MX, A, AAAA, null MX, PTR, NXDOMAIN (aa) from a; MX from the IPv6-only host over IPv6"


def txt_records(lab: Lab) -> str:
    spf = "v=spf1 ip4:198.51.100.10 ip6:2001:db8:100::10 -all"
    dkim = "v=DKIM1; k=rsa; p=" + "M" * 400  # longer than one 255-octet string, as a 2048-bit key is
    lab.add_txt("a.test", spf, reload=False)
    lab.add_txt("sel._domainkey.a.test", dkim, reload=False)
    t0 = time.monotonic()
    lab.reload_dns()
    took = time.monotonic() - t0
    got = dig_txt(lab.dig("a", "a.test", "TXT"))
    check(got == spf, f"SPF TXT: {got!r}")
    got = dig_txt(lab.dig("b", "sel._domainkey.a.test", "TXT"))
    check(got == dkim, f"DKIM TXT ({len(dkim)} octets) came back as {len(got)} octets")
    check(lab.dig("a", "a.test", "MX") == ["10 mx.a.test."], "the MX records are gone after the reload")
    lab.add_txt("_dmarc.a.test", "v=DMARC1; p=reject")
    check(dig_txt(lab.dig("c", "_dmarc.a.test", "TXT")) == "v=DMARC1; p=reject", "DMARC TXT added later not served")
    return f"SPF, a {len(dkim)}-octet DKIM key (split in strings), DMARC added later; dnsmasq reload {took:.1f} s"


def swaks_direct_to_postfix(lab: Lab, pf) -> str:
    r = lab.swaks("a", "--server", lab.ip("c"), "--to", "bob@c.test", "--from", "carol@a.test",
                  "--header", "Subject: direct from a")
    check(r.returncode == 0, f"swaks exit {r.returncode}: {r.stdout[-400:]}")
    msgs = lab.wait_messages(pf.maildir("bob@c.test"), 1, 15)
    check(len(msgs) == 1, f"{len(msgs)} messages in bob@c.test's Maildir")
    m = msgs[0]
    check(m.header("Subject") == "direct from a", f"Subject {m.header('Subject')!r}")
    check("from mx.a.test (mx.a.test [198.51.100.10])" in (m.header("Received") or ""), f"Received: {m.header('Received')}")
    r = lab.swaks("a", "--server", lab.ip("c"), "--to", "nobody@c.test", "--from", "carol@a.test")
    check(r.returncode != 0 and "550 5.1.1" in r.stdout, "an unknown user of c.test was not refused with 550 5.1.1")
    r = lab.swaks("a", "--server", lab.ip("c"), "--to", "x@b.test", "--from", "carol@a.test")
    check(r.returncode != 0 and "554 5.7.1" in r.stdout, "c relays for a stranger on port 25")
    return f"delivered into {m.path.parent.parent.name}'s Maildir; unknown user 550, no open relay"


def submission_auth(lab: Lab, pf) -> str:
    base = ["--server", lab.ip("c"), "--port", "587", "--from", "alice@c.test", "--to", "bob@c.test"]
    r = lab.swaks("a", *base, "--auth", "PLAIN", "--auth-user", "alice@c.test", "--auth-password", PASSWORD)
    check(r.returncode != 0, "AUTH without STARTTLS was accepted")
    r = lab.swaks("a", *base, "--tls", "--auth", "PLAIN", "--auth-user", "alice@c.test", "--auth-password", "wrong")
    check(r.returncode != 0 and "535" in r.stdout, f"a wrong password was not refused with 535: {r.stdout[-300:]}")
    r = lab.swaks("a", *base, "--tls")
    check(r.returncode != 0, "submission took mail without AUTH")
    r = lab.swaks("a", *base, "--tls", "--auth", "PLAIN", "--auth-user", "alice@c.test", "--auth-password", PASSWORD,
                  "--header", "Subject: submitted")
    check(r.returncode == 0, f"STARTTLS + AUTH PLAIN failed: {r.stdout[-500:]}")
    check(pf.wait_log(r"sasl_method=PLAIN, sasl_username=alice@c\.test", 10), "Postfix's log has no SASL login")
    msgs = lab.wait_messages(pf.maildir("bob@c.test"), 2, 15)
    check(any(m.header("Subject") == "submitted" for m in msgs), "the submitted message is not in bob's Maildir")
    return "STARTTLS + AUTH PLAIN accepted; no TLS, wrong password (535) and no AUTH refused"


def submit(lab: Lab, to: str, subject: str) -> None:
    r = lab.swaks("a", "--server", lab.ip("c"), "--port", "587", "--tls", "--auth", "PLAIN",
                  "--auth-user", "alice@c.test", "--auth-password", PASSWORD, "--from", "alice@c.test", "--to", to,
                  "--header", f"Subject: {subject}")
    check(r.returncode == 0, f"submission of {to} failed: {r.stdout[-400:]}")


def wait_event(sink, rcpt: str, timeout: float = 20) -> dict | None:
    for _ in range(int(timeout / 0.2) + 1):
        for ev in sink.received():
            if rcpt in ev["rcpt_to"]:
                return ev
        time.sleep(0.2)
    return None


def relay_by_mx(lab: Lab, pf, sink, rcpt: str, family: int) -> str:
    submit(lab, rcpt, f"relay to {rcpt}")
    ev = wait_event(sink, rcpt)
    check(ev is not None, f"{rcpt} never reached the sink on {sink.host}; Postfix: "
          + " | ".join(l for l in pf.log_text().splitlines() if rcpt in l)[-600:])
    want = lab.ip("c", family)
    check(ev["peer"] == want, f"the sink saw {ev['peer']}, not c's IPv{family} {want}")
    msgs = read_maildir(sink.maildir(rcpt))
    check(len(msgs) == 1 and msgs[0].header("Subject") == f"relay to {rcpt}", f"Maildir of {rcpt}: {len(msgs)} messages")
    line = pf.wait_log(re.escape(f"to=<{rcpt}>") + r".*relay=(\S+), .*status=sent", 5)
    return f"c → {line.group(1) if line else '?'} from {ev['peer']}"


def null_mx_bounce(lab: Lab, pf) -> str:
    t0 = time.monotonic()
    before = len(read_maildir(pf.maildir("alice@c.test")))
    submit(lab, "someone@nullmx.test", "to a null MX")
    line = pf.wait_log(r"to=<someone@nullmx\.test>.*dsn=(\S+), status=bounced \(([^)]*\)?)", 15)
    check(line, "Postfix did not bounce the null-MX domain: "
          + " | ".join(l for l in pf.log_text().splitlines() if "nullmx" in l)[-600:])
    msgs = lab.wait_messages(pf.maildir("alice@c.test"), before + 1, 15)
    check(len(msgs) > before, "no bounce in alice's Maildir")
    dsn = msgs[-1]
    check("multipart/report" in (dsn.header("Content-Type") or ""), f"the bounce is not a DSN: {dsn.header('Content-Type')}")
    check("someone@nullmx.test" in dsn.text, "the DSN does not name the recipient")
    took = time.monotonic() - t0
    check(took < 20, f"the bounce took {took:.1f} s")
    return f"bounced at once ({took:.1f} s), dsn={line.group(1)} ({line.group(2)[:60]}), DSN in alice's INBOX"


def refused_and_dead_mx(lab: Lab, pf, sink) -> str:
    submit(lab, "r@refused.test", "to a refusing host")
    line = pf.wait_log(r"to=<r@refused\.test>.*status=deferred \(([^)]*)\)", 15)
    check(line and "refused" in line.group(1).lower(), f"refused.test: {line.group(1) if line else 'no deferral logged'}")
    t0 = time.monotonic()
    submit(lab, "k@backup.test", "first MX dead")
    ev = wait_event(sink, "k@backup.test", 30)
    check(ev is not None, "backup.test: never reached its second MX (b): "
          + " | ".join(l for l in pf.log_text().splitlines() if "backup.test" in l or "198.51.100.99" in l)[-600:])
    dead = pf.wait_log(r"connect to mx\.dead\.test\[198\.51\.100\.99\]:25: ([^\n]*)", 2)
    return (f"refused.test deferred ({line.group(1)}); backup.test: MX 10 dead "
            f"({dead.group(1) if dead else 'not tried first'}), delivered by MX 20 in {time.monotonic() - t0:.1f} s")


def deferral_then_delivery(lab: Lab, pf) -> str:
    """The sink on a answers 451 to the first two transactions: Postfix tries a's IPv4 and IPv6
    address in one attempt (a 4xx moves on to the next address), defers, and delivers once when the
    queue is flushed."""
    sink = lab.start_sink("a", args=["--defer-first", "2"])
    submit(lab, "q@a.test", "deferred once")
    line = pf.wait_log(r"to=<q@a\.test>.*status=deferred \((.*)\)\n", 15)
    check(line and "451 4.3.0" in line.group(1), f"no 451 deferral logged: {line.group(1) if line else ''}")
    tried = len(re.findall(r"mx\.a\.test\[[^]]+\] said: 451", pf.log_text()))
    check(sink.received() == [], "the sink stored a message it deferred")
    pf.flush()
    ev = wait_event(sink, "q@a.test", 20)
    check(ev is not None, "not delivered after the flush")
    time.sleep(0.5)
    n = len(read_maildir(sink.maildir("q@a.test")))
    check(n == 1, f"{n} copies delivered")
    sink.stop()
    return f"451 from {tried} addresses, deferred; delivered once after `postqueue -f`"


def second_postfix(lab: Lab, pf_c, sink_b) -> str:
    """Two private instances side by side: the sink on b makes room for Postfix, c relays to it."""
    sink_b.stop()
    pf_b = lab.start_postfix("b", "b.test", submission_port=None)
    submit(lab, "carol@b.test", "Postfix to Postfix")
    msgs = lab.wait_messages(pf_b.maildir("carol@b.test"), 1, 20)
    check(len(msgs) == 1, "not in carol@b.test's Maildir at b's Postfix: "
          + " | ".join(l for l in pf_c.log_text().splitlines() if "carol@b.test" in l)[-600:])
    received = msgs[0].header("Received") or ""
    check("by mx.b.test (Postfix)" in received and "mx.c.test" in received, f"Received: {received}")
    tls = "TLS" in received or "using TLS" in pf_c.log_text()
    return f"delivered into b's Maildir{' over STARTTLS' if tls else ''}; two instances side by side"


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
        signal.signal(signal.SIGINT, _interrupt)
    correo = sys.argv[1] if len(sys.argv) > 1 else None
    print(f"lab self-test (correo: {correo or 'none'}; its cases run after this, in correo_cases.py)", flush=True)
    t_start = time.monotonic()
    snapshot = host_network_snapshot()
    listening = listening_on_host()
    lab_inodes: set[int] = set()

    try:
        Lab.check_requirements()
    except LabError as e:
        print(f"FAIL requirements: {e}")
        print("lab: 0 passed, 1 failed")
        return 1

    left: dict = {}
    try:
        case("setup: a lab killed with SIGKILL leaves namespaces behind",
             lambda: (left.update(leftover_from_killed_run()),
                      check(left["up"] and left["names"] and left["pids"], f"nothing left to clean: {left}"),
                      f"{len(left['names'])} namespaces, {len(left['pids'])} processes left")[-1])
        with Lab() as lab:
            lab_inodes = {i for i in (_ns_inode(n) for n in _netns_names() if n.startswith("clab-")) if i}
            case("leftover lab cleaned at start", lambda: (
                check(not [p for p in left.get("pids", []) if _alive(p)],
                      "processes of the killed run still alive"),
                f"{len(left.get('names', []))} namespaces and {len(left.get('pids', []))} processes of the killed run gone")[-1])
            case("DNS: records from inside the hosts", dns_from_a, lab)
            case("DNS: TXT records added by a test, dnsmasq reloaded", txt_records, lab)
            pf = lab.start_postfix("c", "c.test", sasl_users={"alice@c.test": PASSWORD})
            sink_b = lab.start_sink("b")
            sink_v6 = lab.start_sink("v6")
            case("swaks from a → Postfix on c (direct)", swaks_direct_to_postfix, lab, pf)
            case("Postfix submission: STARTTLS + AUTH PLAIN (sasldb)", submission_auth, lab, pf)
            case("relay by MX over IPv4: c → b (b4.test)", relay_by_mx, lab, pf, sink_b, "u4@b4.test", 4)
            case("relay by MX over IPv6: c → b (b6.test)", relay_by_mx, lab, pf, sink_b, "u6@b6.test", 6)
            case("relay to an IPv6-only host: c → v6 (v6.test)", relay_by_mx, lab, pf, sink_v6, "w@v6.test", 6)
            case("relay to a domain without MX (A/AAAA fallback): nomx.test → b", lambda: (
                submit(lab, "n@nomx.test", "implicit MX"),
                check(wait_event(sink_b, "n@nomx.test") is not None, "nomx.test: not delivered to b"),
                "delivered to b through its A/AAAA")[-1])
            case("null MX (RFC 7505): Postfix bounces at once", null_mx_bounce, lab, pf)
            case("refusing MX deferred; dead first MX, second MX used", refused_and_dead_mx, lab, pf, sink_b)
            case("sink answering 451 first: Postfix retries, one copy", deferral_then_delivery, lab, pf)
            case("a second private Postfix (on b): c → Postfix b by MX", second_postfix, lab, pf, sink_b)
            if not all(ok for _, ok, _ in results):
                lab.failed = True  # keep the logs and Maildirs for a look
    except LabError as e:
        results.append(("lab build", False, str(e)))
        print(f"FAIL lab build: {e}")
    except KeyboardInterrupt:
        print("lab: interrupted; torn down")
        results.append(("interrupted", False, "Ctrl-C or SIGTERM"))

    def teardown_clean() -> str:
        names = [n for n in _netns_names() if n.startswith("clab-")]
        check(not names, f"lab namespaces left: {names}")
        pids = _pids_in_netns(lab_inodes) if lab_inodes else []
        check(not pids, f"processes left in the lab's namespaces: {pids}")
        check(not list(Path("/etc/netns").glob("clab-*")) if Path("/etc/netns").exists() else True, "/etc/netns/clab-* left")
        return "no namespace, no process, no /etc/netns entry left"

    case("teardown: nothing of the lab left", teardown_clean)
    case("the machine's own network namespace unchanged", lambda: (
        check(host_network_snapshot() == snapshot, "ip link/addr/route/rule or forwarding changed on the host"),
        check(not (listening_on_host() - listening), f"new listeners on the host: {listening_on_host() - listening}"),
        "links, addresses, routes, rules, forwarding as before; no listener on 25, 53, 587")[-1])

    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"lab: self-test took {time.monotonic() - t_start:.1f} s")
    print(f"lab: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
