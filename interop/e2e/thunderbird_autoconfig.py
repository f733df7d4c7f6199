#!/usr/bin/env python3
"""Real Thunderbird, given only an address and a password, finds correo's settings and logs in.

    thunderbird_autoconfig.py CORREO_BINARY

Issue 13's acceptance check for autoconfig. Everything runs in a private network namespace
(`unshare --net`, as root), so that correo can listen on 127.0.0.1:443 (Thunderbird fetches
`https://autoconfig.DOMAIN/mail/config-v1.1.xml` on the standard port only) without touching the host's
ports. Steps:

1. a test CA and a certificate for mail.b.test, autoconfig.b.test, b.test (openssl);
2. `correo user add bob@b.test`, then `correo serve --https-port 443` on 127.0.0.1 with IMAP/SMTP on
   unusual ports, so that the ports Thunderbird ends up with can only have come from correo's document;
3. Thunderbird 115+ headless (`--headless --marionette`) with a fresh profile whose prefs resolve every
   name to 127.0.0.1 (`network.dns.forceResolve`) and allow HTTPS autoconfig only
   (`mailnews.auto_config.fetchFromISP.sslOnly`);
4. over Marionette (its JSON protocol spoken here, no extra package), in Thunderbird's chrome: the test
   CA is trusted, then the account wizard's own modules run: `FetchConfig.fromISP("b.test",
   "bob@b.test")` (the autoconfig fetch), `AccountConfig.replaceVariables` (the password), and
   `ConfigVerifier.verifyConfig` (a real IMAP login with the discovered settings, over TLS).

Prints one PASS/FAIL line per check and `thunderbird-autoconfig: ok`; exit status 1 on a failure,
2 when Thunderbird is not installed (scripts/install-test-deps.sh installs it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

IMAPS, IMAP, SMTPS, SUBMISSION, SMTP = 2993, 2143, 2465, 2587, 2525
MARIONETTE = 2828
FAILURES: list[str] = []


def check(name: str, ok: bool, detail: object = "") -> None:
    print(f"  {'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if not ok and detail != "" else ""), flush=True)
    if not ok:
        FAILURES.append(name)


def wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def make_certificates(work: Path) -> tuple[Path, Path, Path]:
    """A CA and a leaf it signs: NSS refuses a self-signed CA certificate used as the server's own."""
    ca_key, ca_cert = work / "ca.key", work / "ca.pem"
    key, csr, cert = work / "server.key", work / "server.csr", work / "server.pem"
    ext = work / "ext.cnf"
    ext.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:mail.b.test,DNS:autoconfig.b.test,DNS:b.test,DNS:mta-sts.b.test,DNS:autodiscover.b.test\n"
    )
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(ca_key),
        "-out", str(ca_cert), "-days", "2", "-subj", "/CN=correo test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
        "-out", str(csr), "-subj", "/CN=mail.b.test")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca_cert, cert, key


class Marionette:
    """Just enough of Marionette's protocol: `length:json` frames, [0, id, command, params] requests."""

    def __init__(self, port: int, seconds: float, process: subprocess.Popen | None = None) -> None:
        """Connects to Marionette on PORT within SECONDS; gives up at once if PROCESS (the browser) has exited,
        since then nothing will ever listen there."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError as error:
                if process is not None and process.poll() is not None:
                    raise ConnectionError(f"Thunderbird exited ({process.returncode}) before Marionette listened "
                                          f"on port {port}") from error
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.sock.settimeout(120)
        self.buffer = b""
        self.next_id = 0
        self.read()  # the server's hello: {"applicationType": "gecko", "marionetteProtocol": 3}

    def read(self) -> object:
        while b":" not in self.buffer:
            self.buffer += self._recv()
        length, _, rest = self.buffer.partition(b":")
        size = int(length)
        while len(rest) < size:
            rest += self._recv()
        self.buffer = rest[size:]
        return json.loads(rest[:size])

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("Marionette closed the connection")
        return data

    def command(self, name: str, params: dict) -> object:
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params]).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            message = self.read()
            if isinstance(message, list) and message[0] == 1 and message[1] == self.next_id:
                if message[2]:
                    raise RuntimeError(f"{name}: {message[2]}")
                return message[3]


# Runs in Thunderbird's chrome: the account wizard's own modules, as the "Set up your existing email
# address" dialogue calls them once the user has typed an address and a password.
SCRIPT = r"""
const [caBase64, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const certdb = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
  certdb.addCertFromBase64(caBase64, "C,,");
  const { FetchConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/FetchConfig.sys.mjs");
  const { AccountConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/AccountConfig.sys.mjs");
  const { ConfigVerifier } = ChromeUtils.importESModule("resource:///modules/accountcreation/ConfigVerifier.sys.mjs");
  const config = await FetchConfig.fromISP("b.test", "bob@b.test", new AbortController().signal);
  const server = s => ({ type: s.type, hostname: s.hostname, port: s.port, socketType: s.socketType, username: s.username });
  const result = {
    incoming: server(config.incoming), outgoing: server(config.outgoing),
    incomingAlternatives: config.incomingAlternatives.map(server),
    outgoingAlternatives: config.outgoingAlternatives.map(server),
    tls: Ci.nsMsgSocketType.SSL, starttls: Ci.nsMsgSocketType.alwaysSTARTTLS,
  };
  // Fills %EMAILADDRESS% and the password in place, as the wizard does.
  AccountConfig.replaceVariables(config, "Bob", "bob@b.test", "bob's secret");
  const filled = config;
  result.username = filled.incoming.username;
  try {
    await new ConfigVerifier(null, new AbortController().signal).verifyConfig(filled, false);
    result.login = "ok";
  } catch (e) {
    result.login = String(e);
  }
  resolve(JSON.stringify(result));
})().catch(e => resolve(JSON.stringify({ error: String(e) })));
"""


def thunderbird_binary() -> str | None:
    return shutil.which("thunderbird")


def free_port() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
    import netutil  # free ports no other script was given lately

    return netutil.free_port()


def start_thunderbird(work: Path, processes: list[subprocess.Popen], port: int, prefs: dict,
                      display: str | None = None) -> Marionette:
    """Thunderbird headless on a fresh profile in WORK (its prefs: quiet, no updates, `prefs` on top), with
    Marionette on `port`, in a chrome-context session; the process is added to `processes`. With `display`
    (an X display such as Xvfb's ":5") it runs there, windows and all, instead of headless.

    A Thunderbird that exits before Marionette listens, or does not listen within 120 s, is stopped, its log
    printed, and started once more on a new profile and port: a fresh machine's first start under a loaded
    test suite once never opened the port in 90 s (CI, 2026-12-06), and the log was not kept to say why."""
    for attempt in (1, 2):
        folder = work if attempt == 1 else work / f"retry-{attempt}"
        folder.mkdir(exist_ok=True)
        process: subprocess.Popen | None = None
        try:
            with one_start_at_a_time():
                process = launch_thunderbird(folder, port, prefs, display)
                processes.append(process)
                marionette = Marionette(port, 120, process)
        except OSError as error:  # ConnectionError and a refused or timed-out connection alike
            log_file = folder / "thunderbird.log"
            log = log_file.read_text(errors="replace").splitlines()[-40:] if log_file.exists() else []
            print(f"  thunderbird attempt {attempt}: {error}\n  --- thunderbird.log (last 40 lines)\n"
                  + "\n".join(log), flush=True)
            if attempt == 2 or process is None:  # no process: Thunderbird could not even be started
                raise
            process.kill()
            process.wait(timeout=15)
            port = free_port()
            continue
        marionette.command("WebDriver:NewSession", {"capabilities": {}})
        marionette.command("Marionette:SetContext", {"value": "chrome"})
        return marionette
    raise AssertionError("unreachable")


@contextlib.contextmanager
def one_start_at_a_time(seconds: float = 120) -> Iterator[None]:
    """Holds a lock shared by every Thunderbird script while one Thunderbird starts, so that the test suite's
    Thunderbird checks, run in parallel, do not all start at once on a 2-core machine; after SECONDS of
    waiting it goes ahead without the lock rather than fail."""
    with open(Path(tempfile.gettempdir()) / "correo-thunderbird-start.lock", "a") as lock:
        deadline = time.monotonic() + seconds
        held = False
        while not held and time.monotonic() < deadline:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                time.sleep(0.25)
        try:
            yield
        finally:
            if held:
                fcntl.flock(lock, fcntl.LOCK_UN)


def launch_thunderbird(folder: Path, port: int, prefs: dict, display: str | None) -> subprocess.Popen:
    """Starts Thunderbird on a new profile in FOLDER, its output in FOLDER/thunderbird.log."""
    profile = folder / "profile"
    profile.mkdir()
    (profile / "user.js").write_text("\n".join(f'user_pref("{k}", {json.dumps(v)});' for k, v in {
        "network.proxy.type": 0,
        "marionette.port": port,
        "mail.shell.checkDefaultClient": False,
        "mailnews.start_page.enabled": False,
        "mail.provider.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "app.update.disabledForTesting": True,
        **prefs,
    }.items()) + "\n")
    tb_log = open(folder / "thunderbird.log", "wb")
    env = dict(os.environ, MOZ_HEADLESS="1", HOME=str(folder))
    headless = ["--headless"]
    if display is not None:
        env.pop("MOZ_HEADLESS")
        env["DISPLAY"] = display
        headless = []
    return subprocess.Popen(
        [thunderbird_binary() or "thunderbird", *headless, "--marionette", "-remote-allow-system-access", "--no-remote",
         "--profile", str(profile)],
        stdout=tb_log, stderr=tb_log, env=env)


def quit_thunderbird(marionette: Marionette) -> None:
    try:
        marionette.command("Marionette:Quit", {"flags": ["eForceQuit"]})
    except (OSError, RuntimeError, ConnectionError):
        pass


def stop(processes: list[subprocess.Popen], work: Path) -> None:
    """Stops `processes` (last started first); prints the logs after a failure; removes WORK unless
    KEEP_RUN_DIR is set."""
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    if FAILURES or os.environ.get("KEEP_RUN_DIR"):
        for name in ("correo.log", "thunderbird.log", "retry-2/thunderbird.log"):
            path = work / name
            if path.exists():
                print(f"--- {name} (last 40 lines)\n" + "\n".join(path.read_text(errors="replace").splitlines()[-40:]))
    if not os.environ.get("KEEP_RUN_DIR"):
        shutil.rmtree(work, ignore_errors=True)


def summary(name: str) -> int:
    if FAILURES:
        print(f"{name}: {len(FAILURES)} failed: {', '.join(FAILURES)}")
        return 1
    print(f"{name}: ok")
    return 0


def run(binary: str) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = Path(tempfile.mkdtemp(prefix="correo-tb-autoconfig-"))
    processes: list[subprocess.Popen] = []
    try:
        ca, cert, key = make_certificates(work)
        storage = work / "storage"
        subprocess.run([binary, "user", "add", "bob@b.test", "-s", str(storage), "--password-stdin"],
                       input=b"bob's secret\n", check=True, capture_output=True)
        correo_log = open(work / "correo.log", "wb")
        processes.append(subprocess.Popen(
            [binary, "serve", "-s", str(storage), "--domain", "b.test", "--hostname", "mail.b.test",
             "--cert", str(cert), "--key", str(key), "--bind", "127.0.0.1", "--https-port", "443",
             "--smtp-port", str(SMTP), "--submission-port", str(SUBMISSION), "--smtps-port", str(SMTPS),
             "--imap-port", str(IMAP), "--imaps-port", str(IMAPS), "--nntp-port", "0", "--nntps-port", "0",
             # Port 443 needs root; the namespace and the folder are this run's own, so staying root is fine.
             "--user", "root"],
            stdout=correo_log, stderr=correo_log))
        listening = all(wait_port(p, 120) for p in (443, IMAPS, SMTPS))
        check("correo serve listens on 443 and the mail ports", listening, (work / "correo.log").read_text(errors="replace"))
        if not listening:
            return 1

        marionette = start_thunderbird(work, processes, MARIONETTE, {
            "network.dns.forceResolve": "127.0.0.1",
            "network.dns.disableIPv6": True,
            "mailnews.auto_config.fetchFromISP.sslOnly": True,
            "mail.setup.loglevel": "All",
        })
        ca_base64 = "".join(line for line in ca.read_text().splitlines() if not line.startswith("-----"))
        answer = marionette.command("WebDriver:ExecuteAsyncScript",
                                    {"script": SCRIPT, "args": [ca_base64], "scriptTimeout": 90000})
        result = json.loads(answer["value"] if isinstance(answer, dict) else answer)
        print(f"  thunderbird found: {json.dumps(result)}", flush=True)
        check("autoconfig fetched over HTTPS", "error" not in result, result.get("error", ""))
        if "error" not in result:
            tls, starttls = result["tls"], result["starttls"]
            incoming, outgoing = result["incoming"], result["outgoing"]
            check("incoming: IMAP on mail.b.test, implicit TLS, correo's imaps port",
                  (incoming["type"], incoming["hostname"], incoming["port"], incoming["socketType"])
                  == ("imap", "mail.b.test", IMAPS, tls), incoming)
            check("outgoing: SMTP on mail.b.test, implicit TLS, correo's smtps port",
                  (outgoing["type"], outgoing["hostname"], outgoing["port"], outgoing["socketType"])
                  == ("smtp", "mail.b.test", SMTPS, tls), outgoing)
            check("alternatives: STARTTLS on correo's imap and submission ports",
                  [(s["port"], s["socketType"]) for s in result["incomingAlternatives"]] == [(IMAP, starttls)]
                  and [(s["port"], s["socketType"]) for s in result["outgoingAlternatives"]] == [(SUBMISSION, starttls)],
                  result)
            check("user name: the address (%EMAILADDRESS%)", result["username"] == "bob@b.test", result["username"])
            check("IMAP login with the discovered settings", result["login"] == "ok", result["login"])
        quit_thunderbird(marionette)
    finally:
        stop(processes, work)
    return summary("thunderbird-autoconfig")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if thunderbird_binary() is None:
        print("thunderbird is not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    binary = str(Path(sys.argv[1]).resolve())
    if os.environ.get("CORREO_TB_NETNS") != "1":
        # A private network namespace: its own loopback, where port 443 is free.
        env = dict(os.environ, CORREO_TB_NETNS="1")
        return subprocess.run(["unshare", "--net", "--", sys.executable, __file__, binary], env=env).returncode
    return run(binary)


if __name__ == "__main__":
    sys.exit(main())
