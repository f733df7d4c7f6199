"""The stress suite's harness: a real `correo serve` on free ports in a scratch folder, an RSS sampler,
the normal clients (smtplib, imaplib) that must keep being served, and the Maildir checks that prove no
acknowledged message was lost and no partial one is visible. Standard library only."""

import asyncio
import base64
import contextlib
import imaplib
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time

DOMAIN = "example.test"
USER = "alice@" + DOMAIN
PASSWORD = "correct horse battery staple"
# The password the attacker tries; the log must never show it, nor the right one.
WRONG_PASSWORD = "hunter2-wrong-guess"
NORMAL_SOURCE = "127.0.0.2"  # all of 127/8 is loopback: the normal client comes from another address
ATTACK_SOURCE = "127.0.0.1"


def raise_open_file_limit(wanted=65536):
    """Raises the soft limit to the hard one, and as root (CI) the hard one too: idle-10k needs
    ~11,000 descriptors on each side, more than many machines' default hard limit of 4,096."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        except (ValueError, OSError):
            pass  # not root: keep what the hard limit allows
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_ports(count):
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


class RSSSampler:
    """Samples VmRSS of a process every few milliseconds in a thread; `peak_mb` is the highest seen."""

    def __init__(self, pid, interval=0.02):
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current_kb(self):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return 0
        return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.current_kb())
            time.sleep(self.interval)

    def start(self):
        self.peak_kb = self.current_kb()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self.current_kb())

    @property
    def peak_mb(self):
        return self.peak_kb / 1024


class Server:
    """`correo serve` on free loopback ports with a scratch storage folder and one user."""

    def __init__(self, binary, **limits):
        self.binary = os.path.realpath(binary)
        self.limits = limits
        self.storage = tempfile.mkdtemp(prefix="correo-stress-")
        self.smtp, self.submission, self.smtps, self.imap, self.imaps = free_ports(5)
        self.log_path = os.path.join(self.storage, "serve.log")
        self.process = None
        self.acknowledged = 0  # messages the server answered 250 (or OK) for, to the test user

    def start(self):
        subprocess.run(
            [self.binary, "user", "add", USER, "--password-stdin", "-s", self.storage],
            input=(PASSWORD + "\n").encode(), check=True, capture_output=True,
        )
        # A port found free can be taken by another program before correo binds it: new ports, 3 tries.
        for attempt in range(3):
            try:
                return self._start_once()
            except RuntimeError as error:
                if attempt == 2 or "already in use" not in str(error):
                    raise
                self.log.close()
                self.smtp, self.submission, self.smtps, self.imap, self.imaps = free_ports(5)

    def _start_once(self):
        args = [
            self.binary, "serve", "--storage", self.storage, "--domain", DOMAIN, "--bind", "127.0.0.1",
            "--smtp-port", str(self.smtp), "--submission-port", str(self.submission),
            "--smtps-port", str(self.smtps), "--imap-port", str(self.imap), "--imaps-port", str(self.imaps),
            "--allow-plaintext-auth", "--log-level", "info",
        ]
        for name, value in self.limits.items():
            args += ["--" + name.replace("_", "-"), str(value)]
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        for port in (self.smtp, self.imap):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError("correo serve exited at start:\n" + self.log_text()[-2000:])
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("correo serve did not open its ports:\n" + self.log_text()[-2000:])
                time.sleep(0.05)
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def log_text(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", "replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def cleanup(self):
        shutil.rmtree(self.storage, ignore_errors=True)

    # MARK: the Maildir

    def maildir(self):
        return os.path.join(self.storage, USER)

    def messages(self):
        """The files of every message visible in the user's Maildir (INBOX and folders)."""
        found = []
        for root, _dirs, files in os.walk(self.maildir()):
            if os.path.basename(root) in ("new", "cur"):
                found += [os.path.join(root, name) for name in files]
        return found

    def tmp_files(self):
        found = []
        for root, _dirs, files in os.walk(self.maildir()):
            if os.path.basename(root) == "tmp":
                found += [os.path.join(root, name) for name in files]
        return found

    def check_store(self, wait_tmp=5.0):
        """No acknowledged message lost, none partial (each ends with its END marker), tmp/ empty."""
        problems = []
        messages = self.messages()
        if len(messages) < self.acknowledged:
            problems.append(f"{self.acknowledged} acknowledged but {len(messages)} in the Maildir")
        for path in messages:
            with open(path, "rb") as f:
                data = f.read()
            if b"X-Stress-Id:" in data and not data.rstrip().endswith(b"END-OF-STRESS-MESSAGE"):
                problems.append(f"partial message visible: {os.path.basename(path)} ({len(data)} bytes)")
        deadline = time.monotonic() + wait_tmp
        while self.tmp_files() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.tmp_files():
            problems.append(f"{len(self.tmp_files())} file(s) left in tmp/")
        return problems


def stress_message(ident, body=b"hello\r\n", extra_headers=b""):
    """A message the store check recognises: complete only when it ends with the END marker."""
    return (
        b"From: bob@" + DOMAIN.encode() + b"\r\nTo: " + USER.encode() + b"\r\nSubject: stress "
        + str(ident).encode() + b"\r\nX-Stress-Id: " + str(ident).encode() + b"\r\n" + extra_headers
        + b"\r\n" + body + b"END-OF-STRESS-MESSAGE\r\n"
    )


# MARK: the normal clients

class SourceIMAP(imaplib.IMAP4):
    """imaplib from a chosen source address."""

    def __init__(self, host, port, source, timeout):
        self._source = source
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


def normal_smtp(server, ident, source=NORMAL_SOURCE, timeout=10):
    """Sends one message with smtplib from `source`; returns the seconds it took. Counts it as acknowledged."""
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=timeout, source_address=(source, 0)) as client:
        client.sendmail("bob@" + DOMAIN, [USER], stress_message(ident))
    server.acknowledged += 1
    return time.monotonic() - started


def normal_submission(server, source=NORMAL_SOURCE, timeout=10):
    """AUTH PLAIN with the right password over submission; returns the seconds it took."""
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=timeout, source_address=(source, 0)) as client:
        client.ehlo()
        client.login(USER, PASSWORD)
    return time.monotonic() - started


def normal_imap(server, source=NORMAL_SOURCE, timeout=10):
    """Logs in with imaplib, selects INBOX and fetches every flag; returns (seconds, EXISTS)."""
    started = time.monotonic()
    client = SourceIMAP("127.0.0.1", server.imap, source, timeout)
    try:
        client.login(USER, PASSWORD)
        typ, data = client.select("INBOX")
        exists = int(data[0])
        if exists:
            client.fetch("1:*", "(FLAGS)")
        client.logout()
    finally:
        with contextlib.suppress(OSError):
            client.shutdown()
    return time.monotonic() - started, exists


def normal_clients(server, ident, bound=2.0):
    """Both protocols answer a normal client at once; returns (problems, slowest seconds)."""
    problems = []
    slowest = 0.0
    try:
        slowest = max(slowest, normal_smtp(server, ident))
    except Exception as error:  # noqa: BLE001 - any failure is a finding
        problems.append(f"normal SMTP client failed: {error!r}")
    try:
        seconds, exists = normal_imap(server)
        slowest = max(slowest, seconds)
        if exists < server.acknowledged:
            problems.append(f"IMAP shows {exists} messages, {server.acknowledged} acknowledged")
    except Exception as error:  # noqa: BLE001
        problems.append(f"normal IMAP client failed: {error!r}")
    if slowest > bound:
        problems.append(f"normal client took {slowest:.2f}s (bound {bound}s)")
    return problems, slowest


async def in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


# MARK: raw attackers

async def open_raw(port, source=ATTACK_SOURCE, timeout=10):
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), timeout)


async def read_line(reader, timeout=10):
    return await asyncio.wait_for(reader.readline(), timeout)


async def read_until(reader, prefix, timeout=10):
    """Reads lines until one starts with `prefix`; returns it (or b"" at EOF)."""
    async def run():
        while True:
            line = await reader.readline()
            if not line or line.startswith(prefix):
                return line
    return await asyncio.wait_for(run(), timeout)


def abort(writer):
    """Closes with RST (SO_LINGER 0): the connection vanishes, as when a client's machine dies."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()


def plain(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
