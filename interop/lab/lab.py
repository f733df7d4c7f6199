#!/usr/bin/env python3
"""A network lab of real hosts for the relay and sender-authentication tests (stdlib only, root only).

Each host is an `ip netns` namespace with one veth pair to a bridge that itself lives in a namespace
(`<prefix>-sw`), so the machine's own network namespace is never changed: no address, route, bridge,
firewall rule or sysctl outside the lab. Addresses come only from the documentation ranges
(198.51.100.0/24 and 2001:db8:100::/64 here; 203.0.113.0/24 is free for more). dnsmasq in host `dns`
answers authoritatively for the `test` zone (and the lab's reverse zones), and every host's
/etc/resolv.conf points at it (`ip netns exec` bind-mounts /etc/netns/NAME/resolv.conf).

    with Lab() as lab:                                   # the default topology, see README.md
        pf = lab.start_postfix("c", "c.test", sasl_users={"alice@c.test": "secret"})
        lab.swaks("a", "--server", lab.ip("c"), "--to", "bob@c.test", "--from", "x@a.test")
        msgs = lab.wait_messages(pf.maildir("bob@c.test"), 1)

Teardown runs on leaving the `with` block, on an exception and on Ctrl-C / SIGTERM; a lab left by a
killed run is removed when the next one starts (`python3 lab.py cleanup` does it by hand). Every wait
is bounded in count and time.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

HERE = Path(__file__).resolve().parent
DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
NET4 = ipaddress.ip_network("198.51.100.0/24")
NET6 = ipaddress.ip_network("2001:db8:100::/64")
STATE_ROOT = Path("/run/correo-lab")  # lock and state files, one set per prefix
WORK_ROOT = Path("/tmp/correo-lab")  # config, queues, Maildirs and logs, one folder per prefix


class LabError(Exception):
    """A lab that cannot be built or a command that failed inside it, with what to do about it."""


# ---------------------------------------------------------------------------------------------------
# The declarative description


@dataclass(frozen=True)
class Host:
    """A namespace on the lab's LAN: its addresses, and a name that gets A/AAAA and PTR records."""

    name: str
    ipv4: str | None = None
    ipv6: str | None = None
    fqdn: str | None = None


@dataclass(frozen=True)
class MX:
    domain: str
    target: str
    preference: int = 10


@dataclass(frozen=True)
class NullMX:
    """RFC 7505: `MX 0 .`, the domain accepts no mail."""

    domain: str


@dataclass(frozen=True)
class Addr:
    """An A or AAAA record (by the address's family) without a PTR."""

    name: str
    ip: str


@dataclass(frozen=True)
class TXT:
    name: str
    text: str


Record = MX | NullMX | Addr | TXT


@dataclass
class Topology:
    hosts: list[Host]
    records: list[Record] = field(default_factory=list)
    dns_host: str = "dns"


def default_topology() -> Topology:
    """The lab of issues 12 and 13: see README.md's table."""
    n4, n6 = "198.51.100.", "2001:db8:100::"
    hosts = [
        Host("dns", n4 + "53", n6 + "53", "ns.test"),
        Host("a", n4 + "10", n6 + "10", "mx.a.test"),
        Host("b", n4 + "11", n6 + "11", "mx.b.test"),
        Host("c", n4 + "12", n6 + "12", "mx.c.test"),
        Host("v6", None, n6 + "60", "mx.v6.test"),  # IPv6 only
        Host("down", n4 + "66", n6 + "66", "mx.refused.test"),  # up, but nothing listens: RST
    ]
    records: list[Record] = [
        MX("a.test", "mx.a.test"), Addr("a.test", n4 + "10"), Addr("a.test", n6 + "10"),
        MX("b.test", "mx.b.test"), Addr("b.test", n4 + "11"), Addr("b.test", n6 + "11"),
        MX("c.test", "mx.c.test"), Addr("c.test", n4 + "12"), Addr("c.test", n6 + "12"),
        MX("b6.test", "mx6.b.test"), Addr("mx6.b.test", n6 + "11"),  # b reached over IPv6 only
        MX("b4.test", "mx4.b.test"), Addr("mx4.b.test", n4 + "11"),  # b reached over IPv4 only
        MX("v6.test", "mx.v6.test"),
        Addr("nomx.test", n4 + "11"), Addr("nomx.test", n6 + "11"),  # no MX: implicit MX, the A/AAAA (b)
        NullMX("nullmx.test"),
        MX("refused.test", "mx.refused.test"),
        MX("dead.test", "mx.dead.test"), Addr("mx.dead.test", n4 + "99"),  # nobody has .99: timeout
        MX("backup.test", "mx.dead.test", 10), MX("backup.test", "mx.b.test", 20),  # first MX dead
    ]
    return Topology(hosts, records)


def _check_doc_address(ip: str) -> str:
    addr = ipaddress.ip_address(ip)
    if not any(addr in net for net in DOC_NETS):
        raise LabError(f"{ip} is not in a documentation range (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32)")
    return str(addr)


def _rr_lines(record: Record) -> list[str]:
    """dnsmasq configuration lines for one record. TXT and the records without PTR go in as raw RRs
    (dns-rr, hex RDATA), so any text (quotes, commas, >255 octets split in strings) is exact."""
    if isinstance(record, MX):
        return [f"mx-host={record.domain},{record.target},{record.preference}"]
    if isinstance(record, NullMX):
        return [f"dns-rr={record.domain},15,000000"]
    if isinstance(record, Addr):
        addr = ipaddress.ip_address(_check_doc_address(record.ip))
        return [f"dns-rr={record.name},{1 if addr.version == 4 else 28},{addr.packed.hex()}"]
    if isinstance(record, TXT):
        data = record.text.encode()
        chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
        return [f"dns-rr={record.name},16," + "".join(bytes([len(c)]).hex() + c.hex() for c in chunks)]
    raise TypeError(record)


# ---------------------------------------------------------------------------------------------------
# Processes


def _sh(argv: list[str], timeout: float = 30, check: bool = True, **kw) -> subprocess.CompletedProcess:
    try:
        if "input" not in kw:
            kw["stdin"] = subprocess.DEVNULL
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout} s: {' '.join(argv)}") from e
    if check and p.returncode != 0:
        raise LabError(f"exit {p.returncode}: {' '.join(argv)}\n{p.stdout}{p.stderr}".rstrip())
    return p


def _ns_inode(name: str) -> int | None:
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return None


def _pids_in_netns(inodes: set[int]) -> list[int]:
    """Every process whose network namespace is one of the lab's (found by the namespace's inode,
    which also finds processes whose namespace name is already gone)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            link = os.readlink(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        m = re.match(r"net:\[(\d+)\]", link)
        if m and int(m.group(1)) in inodes:
            pids.append(int(entry))
    return pids


def _kill_all(pids: list[int], grace: float = 3.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    alive = list(pids)
    for _ in range(int(grace / 0.05) + 1):
        alive = [p for p in alive if _alive(p)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead; reap it if it is our child
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return False
    except (OSError, IndexError):
        return False
    return True


def cleanup(prefix: str = "clab", log=print) -> int:
    """Removes a lab of this prefix: kills every process in its namespaces, deletes the namespaces,
    /etc/netns/PREFIX-*, and the work folder. Returns the number of namespaces removed. Safe when
    nothing is left."""
    names = [n for n in _netns_names() if n.startswith(prefix + "-")]
    inodes = {i for i in (_ns_inode(n) for n in names) if i}
    state = STATE_ROOT / f"{prefix}.json"
    try:
        inodes |= set(json.loads(state.read_text()).get("inodes", []))
    except (OSError, ValueError):
        pass
    pids = _pids_in_netns(inodes) if inodes else []
    if pids:
        log(f"lab: stopping {len(pids)} process(es) left in the {prefix} namespaces: {pids}")
        _kill_all(pids)
    for name in names:
        _sh(["ip", "netns", "del", name], check=False)
    for d in Path("/etc/netns").glob(prefix + "-*") if Path("/etc/netns").is_dir() else []:
        shutil.rmtree(d, ignore_errors=True)
    try:
        Path("/etc/netns").rmdir()  # only when empty: another user's entries stay
    except OSError:
        pass
    shutil.rmtree(WORK_ROOT / prefix, ignore_errors=True)
    state.unlink(missing_ok=True)
    return len(names)


def _netns_names() -> list[str]:
    out = _sh(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class Proc:
    """A process the lab started in a host (its own session, so Ctrl-C reaches the lab first)."""

    def __init__(self, host: str, argv: list[str], popen: subprocess.Popen, log: Path):
        self.host, self.argv, self.popen, self.log = host, argv, popen, log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 3.0) -> int | None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=5)
        return self.popen.returncode

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Message:
    path: Path
    data: bytes

    def header(self, name: str) -> str | None:
        head = self.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
        m = re.search(r"(?im)^" + re.escape(name) + r":[ \t]*(.*(?:\n[ \t].*)*)", head)
        return re.sub(r"\n[ \t]+", " ", m.group(1)).strip() if m else None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def read_maildir(folder: Path | str) -> list[Message]:
    """The messages in a Maildir's new/ and cur/, oldest name first."""
    out = []
    for sub in ("new", "cur"):
        d = Path(folder) / sub
        if d.is_dir():
            out += [Message(p, p.read_bytes()) for p in sorted(d.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return out


# ---------------------------------------------------------------------------------------------------
# The lab


class Lab:
    """Builds the topology on entry, tears it down on exit (also on exceptions, Ctrl-C and SIGTERM)."""

    def __init__(self, topology: Topology | None = None, prefix: str = "clab", keep_on_failure: bool = True, log=print):
        if not re.fullmatch(r"[a-z][a-z0-9]{0,7}", prefix):
            raise LabError("prefix: up to 8 lowercase letters and digits")
        self.topology = topology or default_topology()
        self.prefix = prefix
        self.keep_on_failure = keep_on_failure
        self.log = log
        self.work = WORK_ROOT / prefix
        self.hosts = {h.name: h for h in self.topology.hosts}
        self.records: list[Record] = list(self.topology.records)
        self.procs: list[Proc] = []
        self.postfixes: list = []  # peers.Postfix
        self.dnsmasq: Proc | None = None
        self._lock_fd: int | None = None
        self.failed = False  # set by a test to keep the work folder (logs, Maildirs) as after an error
        self._old_sigterm = None
        self._validate()

    # -- building -----------------------------------------------------------------------------------

    def _validate(self) -> None:
        if self.topology.dns_host not in self.hosts:
            raise LabError(f"the topology has no DNS host {self.topology.dns_host!r}")
        for h in self.topology.hosts:
            if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", h.name) or h.name == "sw":
                raise LabError(f"host name {h.name!r}: up to 10 lowercase letters and digits, not 'sw' (the bridge's)")
            if not h.ipv4 and not h.ipv6:
                raise LabError(f"host {h.name} has no address")
            for ip in (h.ipv4, h.ipv6):
                if ip:
                    _check_doc_address(ip)
            if h.ipv4 and ipaddress.ip_address(h.ipv4) not in NET4:
                raise LabError(f"host {h.name}: {h.ipv4} is not in the lab's LAN {NET4}")
            if h.ipv6 and ipaddress.ip_address(h.ipv6) not in NET6:
                raise LabError(f"host {h.name}: {h.ipv6} is not in the lab's LAN {NET6}")
        for r in self.records:
            _rr_lines(r)  # checks Addr ranges

    @staticmethod
    def check_requirements() -> None:
        if os.geteuid() != 0:
            raise LabError("the lab needs root (ip netns, port 25 and 53 in the namespaces): run it as root")
        missing = [t for t in ("ip", "dnsmasq", "postfix", "postconf", "saslpasswd2", "swaks", "dig", "openssl")
                   if not shutil.which(t)]
        if shutil.which("perl") and subprocess.run(["perl", "-MNet::SSLeay", "-e1"], capture_output=True).returncode:
            missing.append("Net::SSLeay (swaks --tls)")
        if missing:
            raise LabError(f"missing: {', '.join(missing)}; run `bash interop/lab/install.sh` (Debian packages "
                           "iproute2 dnsmasq-base postfix sasl2-bin swaks libnet-ssleay-perl bind9-dnsutils openssl)")

    def __enter__(self) -> "Lab":
        self.check_requirements()
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(STATE_ROOT / f"{self.prefix}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        for _ in range(600):  # another lab of the same prefix: wait up to 5 minutes
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.5)
        else:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise LabError(f"another lab with prefix {self.prefix!r} has been running for 5 minutes; "
                           "use another prefix or wait")
        try:
            removed = cleanup(self.prefix, self.log)
            if removed:
                self.log(f"lab: removed {removed} namespace(s) left by an earlier run")
            if threading_main():
                self._old_sigterm = signal.signal(signal.SIGTERM, _sigterm_to_exception)
            self._build()
        except BaseException:
            self._teardown(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._teardown(failed=exc_type is not None or self.failed)

    def ns(self, host: str) -> str:
        if host != "sw" and host not in self.hosts:
            raise LabError(f"no host {host!r} in the lab (hosts: {', '.join(self.hosts)})")
        return f"{self.prefix}-{host}"

    def _build(self) -> None:
        t0 = time.monotonic()
        self.work.mkdir(parents=True, exist_ok=True)
        self.work.chmod(0o755)
        sw = self.ns("sw")
        _sh(["ip", "netns", "add", sw])
        self._save_state()
        _sh(["ip", "-n", sw, "link", "set", "lo", "up"])
        _sh(["ip", "-n", sw, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0",
             "mcast_snooping", "0"])
        _sh(["ip", "-n", sw, "link", "set", "br0", "up"])
        dns = self.hosts[self.topology.dns_host]
        for h in self.topology.hosts:
            ns = self.ns(h.name)
            _sh(["ip", "netns", "add", ns])
            self._save_state()
            etc = Path("/etc/netns") / ns
            etc.mkdir(parents=True, exist_ok=True)
            servers = [ip for ip in (dns.ipv4, dns.ipv6) if ip and (h.ipv4 if ":" not in ip else h.ipv6)]
            (etc / "resolv.conf").write_text("".join(f"nameserver {s}\n" for s in servers) + "options timeout:2 attempts:2\n")
            names = f" {h.fqdn}" if h.fqdn else ""
            (etc / "hosts").write_text(
                "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"
                + (f"{h.ipv4}{names}\n" if h.ipv4 and names else "")
                + (f"{h.ipv6}{names}\n" if h.ipv6 and names else "")
            )
            _sh(["ip", "-n", ns, "link", "set", "lo", "up"])
            port = f"p-{h.name}"
            _sh(["ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            _sh(["ip", "-n", sw, "link", "set", port, "master", "br0", "up"])
            if h.ipv4:
                _sh(["ip", "-n", ns, "addr", "add", f"{h.ipv4}/{NET4.prefixlen}", "dev", "eth0"])
            if h.ipv6:
                _sh(["ip", "-n", ns, "addr", "add", f"{h.ipv6}/{NET6.prefixlen}", "dev", "eth0", "nodad"])
            _sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        self._start_dns()
        self.log(f"lab: {len(self.hosts)} hosts up in {time.monotonic() - t0:.1f} s "
                 f"({', '.join(f'{h.name}={h.ipv4 or h.ipv6}' for h in self.topology.hosts)})")

    def _save_state(self) -> None:
        names = [n for n in _netns_names() if n.startswith(self.prefix + "-")]
        state = {"pid": os.getpid(), "inodes": [i for i in (_ns_inode(n) for n in names) if i], "work": str(self.work)}
        (STATE_ROOT / f"{self.prefix}.json").write_text(json.dumps(state))

    # -- DNS ------------------------------------------------------------------------------------------

    def _dns_config(self) -> str:
        dns = self.hosts[self.topology.dns_host]
        lines = [
            "no-resolv", "no-hosts", "no-poll", "bind-interfaces", "local=/test/", "domain-needed",
            "cache-size=0", "log-queries",
            "auth-server=ns.test,eth0",
            f"auth-zone=test,{NET4},{NET6}",
        ]
        lines += [f"listen-address={ip}" for ip in (dns.ipv4, dns.ipv6) if ip]
        for h in self.topology.hosts:
            if h.fqdn:
                lines.append(f"host-record={h.fqdn}," + ",".join(ip for ip in (h.ipv4, h.ipv6) if ip))
        for r in self.records:
            lines += _rr_lines(r)
        return "\n".join(lines) + "\n"

    def _start_dns(self) -> None:
        d = self.work / "dns"
        d.mkdir(parents=True, exist_ok=True)
        conf = d / "dnsmasq.conf"
        conf.write_text(self._dns_config())
        if self.dnsmasq is not None:
            self.dnsmasq.stop()
            self.procs.remove(self.dnsmasq)
        host = self.topology.dns_host
        self.dnsmasq = self.spawn(host, ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}",
                                         "--log-facility=-", "--user=nobody", "--group=nogroup"], name="dnsmasq")
        dns = self.hosts[host]
        if not self.wait_port(host, dns.ipv4 or dns.ipv6, 53, timeout=10, proc=self.dnsmasq):
            raise LabError(f"dnsmasq did not start:\n{self.dnsmasq.output()[-2000:]}")
        # the answer of a record is the proof: the listener alone may come before the zone
        probe = next((h.fqdn for h in self.topology.hosts if h.fqdn), None)
        if probe:
            for _ in range(50):
                if self.dig(host, probe, "A" if dns.ipv4 else "AAAA"):
                    break
                time.sleep(0.1)

    def add_record(self, *records: Record, reload: bool = True) -> None:
        """Adds records (MX, NullMX, Addr, TXT); dnsmasq restarts with them unless reload=False."""
        for r in records:
            _rr_lines(r)
        self.records += records
        if reload:
            self.reload_dns()

    def add_txt(self, name: str, text: str, reload: bool = True) -> None:
        """A TXT record (SPF, DMARC, a DKIM key: text over 255 octets is split into strings)."""
        self.add_record(TXT(name, text), reload=reload)

    def remove_records(self, name: str, reload: bool = True) -> None:
        self.records = [r for r in self.records if getattr(r, "name", getattr(r, "domain", None)) != name]
        if reload:
            self.reload_dns()

    def reload_dns(self) -> None:
        """dnsmasq reads TXT/MX/dns-rr only at start: it is restarted with the new configuration."""
        self._start_dns()

    def dig(self, host: str, name: str, rtype: str = "A") -> list[str]:
        """`dig +short` from inside host, through its resolv.conf: one answer a line."""
        p = self.run(host, ["dig", "+short", "+time=2", "+tries=2", name, rtype], check=False, timeout=15)
        return [line for line in p.stdout.splitlines() if line and not line.startswith(";")]

    # -- running things in hosts -----------------------------------------------------------------------

    def ip(self, host: str, family: int = 4) -> str:
        h = self.hosts[host]
        ip = h.ipv4 if family == 4 else h.ipv6
        if not ip:
            raise LabError(f"host {host} has no IPv{family} address")
        return ip

    def run(self, host: str, argv: list[str], timeout: float = 30, check: bool = True, input: str | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess:
        """Runs argv inside host's namespace (with its /etc/resolv.conf and /etc/hosts) and waits."""
        full = ["ip", "netns", "exec", self.ns(host), *argv]
        try:
            p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               env={**os.environ, **(env or {})}, start_new_session=True)
        except subprocess.TimeoutExpired as e:
            raise LabError(f"[{host}] timed out after {timeout} s: {' '.join(argv)}") from e
        if check and p.returncode != 0:
            raise LabError(f"[{host}] exit {p.returncode}: {' '.join(argv)}\n{p.stdout}{p.stderr}".rstrip())
        return p

    def spawn(self, host: str, argv: list[str], name: str | None = None, env: dict | None = None) -> Proc:
        """Starts argv inside host's namespace in the background; stdout+stderr go to a log file.
        The lab stops it at teardown."""
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{host}-{name or Path(argv[0]).name}-{len(self.procs)}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *argv], stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, start_new_session=True)
        proc = Proc(host, argv, popen, log)
        self.procs.append(proc)
        return proc

    def trust_ca(self, host: str, pem: Path | str) -> None:
        """Adds a CA certificate (or a self-signed one, e.g. a lab Postfix's tls/cert.pem) to host's
        system trust store, for programs started in host from now on: a copy of /etc/ssl (without
        private/) goes to /etc/netns/NS/ssl with the certificate appended to
        certs/ca-certificates.crt, and `ip netns exec` bind-mounts it over /etc/ssl in the program's
        own mount namespace. The machine's /etc/ssl is not touched; the copy goes with the lab."""
        etc = Path("/etc/netns") / self.ns(host) / "ssl"
        if not etc.exists():
            etc.mkdir(mode=0o755)
            for entry in Path("/etc/ssl").iterdir():
                if entry.name != "private":  # no copies of the machine's keys
                    _sh(["cp", "-a", str(entry), str(etc / entry.name)])
        bundle = etc / "certs" / "ca-certificates.crt"
        if bundle.is_symlink():
            bundle.unlink()  # a link into the machine's files: replaced by a file of the lab's own
            bundle.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
        text = bundle.read_text() if bundle.exists() else ""
        bundle.write_text(text + ("" if text.endswith("\n") or not text else "\n") + Path(pem).read_text())

    def wait_port(self, host: str, ip: str, port: int, timeout: float = 10, proc: Proc | None = None) -> bool:
        """Waits until ip:port accepts a TCP connection from inside host (bounded: timeout seconds)."""
        tries = max(1, int(timeout / 0.1))
        script = ("import socket,sys,time\n"
                  f"for _ in range({tries}):\n"
                  "    try:\n"
                  f"        socket.create_connection(({ip!r}, {port}), timeout=1).close(); sys.exit(0)\n"
                  "    except OSError: time.sleep(0.1)\n"
                  "sys.exit(1)\n")
        deadline = time.monotonic() + timeout + 5
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host), sys.executable, "-c", script],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            while time.monotonic() < deadline:
                rc = p.poll()
                if rc is not None:
                    return rc == 0
                if proc is not None and not proc.alive():
                    return False
                time.sleep(0.05)
            return False
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)

    def swaks(self, host: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """swaks from inside host; check the returncode (0: the message was accepted). It says
        EHLO with the host's name unless args give --helo (the namespaces share the machine's
        hostname)."""
        fqdn = self.hosts[host].fqdn
        helo = ["--helo", fqdn] if fqdn and "--helo" not in args and "-h" not in args else []
        return self.run(host, ["swaks", "--timeout", "20", *helo, *args], check=False, timeout=timeout)

    def wait_messages(self, maildir: Path | str, count: int = 1, timeout: float = 30) -> list[Message]:
        """Waits until the Maildir holds at least count messages; returns what it holds then."""
        msgs: list[Message] = []
        for _ in range(int(timeout / 0.2) + 1):
            msgs = read_maildir(maildir)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.2)
        return msgs

    # -- peers ------------------------------------------------------------------------------------------

    def start_postfix(self, host: str, domain: str, **options) -> "peers.Postfix":
        """A private Postfix in host for domain; see peers.start_postfix for the options."""
        return peers.start_postfix(self, host, domain, **options)

    def start_sink(self, host: str, port: int = 25, hostname: str | None = None, args: Iterable[str] = ()) -> "peers.Sink":
        """The lab's SMTP sink (sink.py) on host's addresses; see peers.start_sink."""
        return peers.start_sink(self, host, port, hostname, args)


    # -- teardown -----------------------------------------------------------------------------------------

    def _teardown(self, failed: bool) -> None:
        # a second Ctrl-C or SIGTERM must not cut the teardown short
        masked = {}
        if threading_main():
            for sig in (signal.SIGINT, signal.SIGTERM):
                masked[sig] = signal.signal(sig, signal.SIG_IGN)
        try:
            for pf in reversed(self.postfixes):
                try:
                    pf.stop()
                except Exception as e:  # keep tearing down
                    self.log(f"lab: stopping postfix in {pf.host}: {e}")
            for proc in reversed(self.procs):
                proc.stop()
            keep = failed and self.keep_on_failure
            if keep and self.work.exists():
                kept = self.work.with_name(self.work.name + ".failed")
                shutil.rmtree(kept, ignore_errors=True)
                try:
                    self.work.rename(kept)
                    self.log(f"lab: logs and Maildirs of the failed run kept in {kept}")
                except OSError:
                    pass
            cleanup(self.prefix, self.log)
            left = [n for n in _netns_names() if n.startswith(self.prefix + "-")]
            if left:
                self.log(f"lab: namespaces still present after teardown: {left}")
        finally:
            for sig, handler in masked.items():
                signal.signal(sig, handler)
            if self._old_sigterm is not None:
                signal.signal(signal.SIGTERM, self._old_sigterm)
                self._old_sigterm = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _sigterm_to_exception(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    """`lab.py cleanup [PREFIX]` removes a lab left behind; `lab.py up` builds the default lab and keeps
    it until Ctrl-C (`ip netns exec clab-a bash` to look around)."""
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "cleanup":
        Lab.check_requirements()
        prefix = argv[2] if len(argv) > 2 else "clab"
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        fd = os.open(STATE_ROOT / f"{prefix}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a running lab is not a leftover
            print(f"lab: a lab with prefix {prefix!r} is running; nothing removed")
            os.close(fd)
            return 0
        try:
            n = cleanup(prefix)
        finally:
            os.close(fd)
        print(f"lab: cleanup removed {n} namespace(s)")
        return 0
    if cmd == "up":
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
            signal.signal(signal.SIGINT, signal.default_int_handler)
        with Lab(keep_on_failure=False):
            print("lab: up; Ctrl-C tears it down (at most 1 hour)")
            try:
                time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 0
    print("usage: lab.py cleanup [PREFIX] | up", file=sys.stderr)
    return 2


sys.path.insert(0, str(HERE))
import peers  # noqa: E402  (imports from this module: after its definitions)

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        sys.exit(1)
