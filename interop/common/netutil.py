"""Small network and process helpers shared by the interop scripts (stdlib only)."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Callable


# Ports handed out lately, shared by every script on this machine: the kernel may give the same free
# port to two calls in a row, and a script that asks for several ports before starting its servers
# would then start two servers on one port (the second fails to bind, and a check that only connects
# finds the first one answering in its place).
_ISSUED = Path("/tmp/correo-netutil-ports")
_ISSUED_FOR = 900.0  # seconds a port stays taken: longer than any script's start-up


def _below_ephemeral_range() -> range:
    """Ports below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 here).

    The kernel takes a port in that range for every outgoing connection and every bind to port 0, so
    a port it picked as free could be taken by another test's connection before the server bound it
    (a CI run failed so: "port 55821 (--nntp-port) on 127.0.0.1 is already in use"). A port below the
    range is only ever taken by a bind that names it, as these scripts' servers do.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(max(1024, low - 12288), low)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port() -> int:
    """A TCP port on 127.0.0.1, below the kernel's ephemeral range, that is free right now and that
    no other call handed out in the last quarter of an hour."""
    import fcntl
    import random

    candidates = _below_ephemeral_range()
    try:
        log = open(_ISSUED, "a+")
    except OSError:  # a file of another user's: a free port drawn without the shared log
        for _ in range(256):
            port = random.choice(candidates)
            if _bindable(port):
                return port
        raise OSError("no free port below the ephemeral range")
    with log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.seek(0)
        now = time.time()
        recent: dict[int, float] = {}
        for line in log.read().split():
            port, _, when = line.partition("@")
            if port.isdigit() and now - float(when or 0) < _ISSUED_FOR:
                recent[int(port)] = float(when)
        for _ in range(256):
            port = random.choice(candidates)
            if port not in recent and _bindable(port):
                break
        else:
            raise OSError("no free port below the ephemeral range not handed out lately")
        recent[port] = now
        log.seek(0)
        log.truncate()
        log.write("".join(f"{p}@{w:.0f}\n" for p, w in recent.items()))
        return port


def wait_port(host: str, port: int, timeout: float, alive: Callable[[], bool] | None = None) -> bool:
    """Waits until host:port accepts a connection; gives up early when alive() turns false."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def make_test_cert(folder: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for host (and 127.0.0.1) in folder; reused when present."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    key.chmod(0o600)
    return cert, key
