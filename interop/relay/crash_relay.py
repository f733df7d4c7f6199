#!/usr/bin/env python3
"""Crash test of correo's outbound queue (issue 12): messages are submitted with AUTH to correo `a.test`
for `bob@b.test` while `a` is killed with SIGKILL at random moments and restarted on the same storage;
`a` relays them to correo `b.test`, found by its MX record in dnsmasq on 127.0.0.1. In the end every
message `a` answered with 250 must be in bob's Maildir at `b`, whole; a message may arrive twice only
where `a` was killed after `b` had taken it and before `a` had recorded that (counted and reported).

    swift build && python3 interop/relay/crash_relay.py --binary .build/debug/correo --messages 300

Everything runs on 127.0.0.1 and stops by itself (bounded in messages and seconds). Exit status 0 when
nothing acknowledged was lost; 1 otherwise.
"""
import argparse
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import netutil  # noqa: E402  (free ports no other script was given lately)

SENDER, PASSWORD, RECIPIENT = "alice@a.test", "secret", "bob@b.test"


def free_port(kind=socket.SOCK_STREAM):
    if kind == socket.SOCK_STREAM:
        return netutil.free_port()
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, process, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Correo:
    """One `correo serve` on its own storage; restarted on the same ports after a kill."""

    def __init__(self, binary, storage, arguments, port, log):
        self.binary, self.storage, self.arguments, self.port, self.log = binary, storage, arguments, port, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "-s", self.storage] + self.arguments, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port, self.process):
            raise RuntimeError("correo did not start on %d; see %s" % (self.port, self.log.name))

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def submit(port, stop, acknowledged, lock, seed):
    rng = random.Random(seed)
    number = seed * 1_000_000
    while not stop.is_set():
        number += 1
        lines = ["From: " + SENDER, "To: " + RECIPIENT, "Subject: relay crash %d" % number,
                 "X-Relay-Crash: %d" % number, ""]
        lines += ["%d line %d %s" % (number, i, "x" * rng.randrange(0, 70)) for i in range(rng.choice([3, 300, 3000]))]
        body = ("\r\n".join(lines) + "\r\n").encode()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.login(SENDER, PASSWORD)
                client.sendmail(SENDER, [RECIPIENT], body)
            with lock:
                acknowledged[number] = body
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)


def delivered(storage):
    found = {}
    folder = os.path.join(storage, RECIPIENT, "new")
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
        marker = data.find(b"\r\nX-Relay-Crash: ")
        if marker >= 0:
            number = int(data[marker + 17:data.index(b"\r\n", marker + 2)])
            found.setdefault(number, []).append(data)
    return found


def queue_is_empty(binary, storage):
    result = subprocess.run([binary, "queue", "list", "-s", storage], capture_output=True, text=True)
    return "The queue is empty." in result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/correo")
    parser.add_argument("--messages", type=int, default=300, help="stop after this many acknowledged messages")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    random.seed(args.seed)
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="correo-relay-crash-")
    storage_a, storage_b = os.path.join(work, "a"), os.path.join(work, "b")
    subprocess.run([binary, "user", "add", SENDER, "-s", storage_a, "--password-stdin"],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    log = open(os.path.join(work, "servers.log"), "ab")
    dns_port, port_a, port_b = free_port(socket.SOCK_DGRAM), free_port(), free_port()
    pid_file = os.path.join(work, "dnsmasq.pid")
    subprocess.run(["dnsmasq", "--port=%d" % dns_port, "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=" + pid_file, "--user=root",
                    "--local=/test/", "--mx-host=b.test,mx.b.test,10", "--host-record=mx.b.test,127.0.0.1"],
                   check=True)
    b = Correo(binary, storage_b, ["--domain", "b.test", "--accept-unknown-recipients", "--smtp-port", str(port_b),
                                   "--submission-port", "0", "--smtps-port", "0", "--imap-port", "0",
                                   "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0", "--bind", "127.0.0.1"], port_b, log)
    a = Correo(binary, storage_a, ["--domain", "a.test", "--smtp-port", "0", "--submission-port", str(port_a),
                                   "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0", "--bind",
                                   "127.0.0.1", "--allow-plaintext-auth", "--dns-server", "127.0.0.1:%d" % dns_port,
                                   "--mx-port", str(port_b), "--queue-retry-min", "1", "--queue-retry-max", "2"],
               port_a, log)
    ok = False
    try:
        b.start()
        a.start()
        acknowledged, lock, stop = {}, threading.Lock(), threading.Event()
        threads = [threading.Thread(target=submit, args=(port_a, stop, acknowledged, lock, seed + 1), daemon=True)
                   for seed in range(args.senders)]
        for thread in threads:
            thread.start()
        kills, started = 0, time.time()
        while time.time() - started < args.max_seconds / 2:
            with lock:
                if len(acknowledged) >= args.messages:
                    break
            time.sleep(random.uniform(0.2, 1.5))
            a.kill()
            kills += 1
            a.start()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        # Let the queue drain: the last restart of `a` delivers whatever was queued when it was killed.
        deadline = time.time() + args.max_seconds / 2
        while time.time() < deadline and not queue_is_empty(binary, storage_a):
            time.sleep(0.5)
        drained = queue_is_empty(binary, storage_a)
        a.stop()
        b.stop()
        found = delivered(storage_b)
        missing = sorted(n for n in acknowledged if n not in found)
        damaged = sorted(n for n, body in acknowledged.items() if n in found and not all(d.endswith(body) for d in found[n]))
        duplicates = sum(len(copies) - 1 for copies in found.values())
        print("relay-crash seed %d: %d kills of a, %d acknowledged by a, %d delivered at b, %d duplicates, "
              "queue %s" % (args.seed, kills, len(acknowledged), len(found), duplicates,
                            "drained" if drained else "NOT drained"))
        if missing:
            print("MISSING (250 from a, never at b):", missing[:20])
        if damaged:
            print("DAMAGED (bytes at b differ from what was sent):", damaged[:20])
        ok = drained and not missing and not damaged and len(acknowledged) > 0
    finally:
        a.kill()
        b.kill()
        try:
            with open(pid_file) as handle:
                os.kill(int(handle.read().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        log.close()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work folder kept in", work)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
