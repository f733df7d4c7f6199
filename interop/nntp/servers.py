"""What the NNTP scripts share: a free loopback port, waiting for a greeting, and `correo serve` with
only its NNTP listener (the differential test and bench/nntp_bench.py)."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import netutil  # noqa: E402  (free ports no other script was given lately)


def free_port():
    return netutil.free_port()


def wait_greeting(port, seconds=60):
    """Polls 127.0.0.1:port until it greets with 200/201, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.settimeout(10)
                if s.recv(512).startswith(b"20"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no NNTP greeting on {port} within {seconds} s")


def start_correo(binary, storage, groups, log_path, peer=True):
    """Adds `groups` to `storage` (those it lacks) and starts `correo serve` with NNTP only, on a free
    port (IHAVE allowed from 127.0.0.1 when `peer`); returns (process, port) once it greets."""
    for group in groups:
        if not os.path.isdir(os.path.join(storage, "news", group)):
            subprocess.run([binary, "group", "add", group, "--description", f"The {group} group", "-s", storage],
                           check=True, capture_output=True, timeout=60)
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "-s", storage, "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port", "0",
         "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", str(port),
         "--nntps-port", "0"] + (["--nntp-peer", "127.0.0.1"] if peer else []),
        stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_greeting(port)
    return process, port
