#!/usr/bin/env python3
"""Crash test for correo's SMTP delivery: sends messages to `correo smtpd` while killing it with SIGKILL
at random moments and restarting it. Every message that got a 250 must be in the recipient's Maildir,
whole and byte-exact (after the Return-Path:/Received: lines the server adds); no file in new/ or
cur/ may be a partial message.

    swift build && python3 interop/smtp/crash_test.py --binary .build/debug/correo --messages 200

Exit status 0 when every acknowledged message is there; 1 with a list of what is missing otherwise.
"""
import argparse
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

DOMAIN = "example.test"
RECIPIENT = "bob@" + DOMAIN


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PortTaken(Exception):
    pass


class Server:
    def __init__(self, binary, storage, port, log):
        self.binary, self.storage, self.port, self.log = binary, storage, port, log
        self.process = None

    def start(self):
        """Starts the server; if its port was taken meanwhile (other programs bind free ports too),
        moves to a new one. Senders read `self.port` for each message."""
        for attempt in range(3):
            try:
                return self.start_once()
            except PortTaken:
                self.port = free_port()
        return self.start_once()

    def start_once(self):
        command = [
            self.binary, "smtpd", "-d", DOMAIN, "-s", self.storage, "-p", str(self.port),
            "--submission-port", "0", "--smtps-port", "0", "--bind", "127.0.0.1", "--allow-plaintext-auth",
        ]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                with open(self.log.name, "rb") as handle:
                    if b"already in use" in handle.read()[-2000:]:
                        raise PortTaken()
                raise RuntimeError("correo smtpd exited with status %d; see %s" % (self.process.returncode, self.log.name))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    # Our own server, not another program that took the port.
                    if sock.recv(512).startswith(b"220 " + DOMAIN.encode() + b" "):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("correo smtpd did not start listening on port %d" % self.port)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


def message(number, rng):
    """A message with a unique marker and a random size (a few lines to a few MB)."""
    lines = [
        b"From: crash@" + DOMAIN.encode(),
        b"To: " + RECIPIENT.encode(),
        b"Subject: crash test %d" % number,
        b"X-Crash-Test: %d" % number,
        b"",
    ]
    count = rng.choice([3, 30, 300, 3000, 30000])
    for index in range(count):
        lines.append(b"%d line %d " % (number, index) + bytes(rng.randrange(33, 127) for _ in range(rng.randrange(0, 70))))
    return b"\r\n".join(lines) + b"\r\n"


def sender(server, stop, acknowledged, attempted, lock, seed):
    rng = random.Random(seed)
    number = seed * 1_000_000
    while not stop.is_set():
        number += 1
        body = message(number, rng)
        with lock:
            attempted[number] = body
        try:
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
                client.sendmail("crash@" + DOMAIN, [RECIPIENT], body)
            with lock:
                acknowledged[number] = body
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)


def stored_messages(storage):
    found = {}
    partial = []
    user = os.path.join(storage, RECIPIENT)
    for folder in ("new", "cur"):
        path = os.path.join(user, folder)
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            with open(os.path.join(path, name), "rb") as handle:
                data = handle.read()
            marker = data.find(b"\r\nX-Crash-Test: ")
            if marker < 0:
                partial.append(name)
                continue
            number = int(data[marker + 16:data.index(b"\r\n", marker + 2)])
            found[number] = (name, data)
    return found, partial


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/correo")
    parser.add_argument("--messages", type=int, default=200, help="stop after this many acknowledged messages")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the storage folder")
    args = parser.parse_args()
    random.seed(args.seed)
    storage = tempfile.mkdtemp(prefix="correo-crash-")
    with open(os.path.join(storage, "passwords.txt"), "w") as handle:
        handle.write(RECIPIENT + ":secret\n")
    log = open(os.path.join(storage, "server.log"), "ab")
    server = Server(os.path.abspath(args.binary), storage, free_port(), log)
    server.start()

    acknowledged, attempted, lock, stop = {}, {}, threading.Lock(), threading.Event()
    threads = [
        threading.Thread(target=sender, args=(server, stop, acknowledged, attempted, lock, seed + 1), daemon=True)
        for seed in range(args.senders)
    ]
    for thread in threads:
        thread.start()
    kills = 0
    started = time.time()
    while time.time() - started < args.max_seconds:
        with lock:
            if len(acknowledged) >= args.messages:
                break
        time.sleep(random.uniform(0.05, 1.5))
        server.kill()
        kills += 1
        server.start()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    server.kill()

    found, partial = stored_messages(storage)
    missing = [n for n in acknowledged if n not in found]
    damaged = [n for n, body in acknowledged.items() if n in found and not found[n][1].endswith(body)]
    # A message may also arrive without its 250 (killed between fsync and reply): it must still be whole.
    torn = [n for n, (_, data) in found.items() if n in attempted and not data.endswith(attempted[n])]
    print("seed %d: %d kills, %d messages acknowledged, %d stored, %d sent without an answer"
          % (args.seed, kills, len(acknowledged), len(found), len(attempted) - len(acknowledged)))
    ok = not missing and not damaged and not torn and not partial and len(acknowledged) > 0
    if missing:
        print("MISSING (acknowledged with 250, not in the Maildir):", sorted(missing)[:20])
    if damaged or torn:
        print("DAMAGED (stored bytes differ from the sent message):", sorted(set(damaged + torn))[:20])
    if partial:
        print("PARTIAL FILES in new/ or cur/:", partial[:20])
    if not acknowledged:
        print("no message was acknowledged at all; see", log.name)
    if args.keep or not ok:
        print("storage kept in", storage)
    else:
        subprocess.run(["rm", "-rf", storage])
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
