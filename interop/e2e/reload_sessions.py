#!/usr/bin/env python3
"""Holds an IMAP IDLE and an SMTP DATA transfer open across a SIGHUP of `correo serve`.

Usage: reload_sessions.py HOST SMTP_PORT IMAP_PORT USER PASSWORD GO_FILE

Prints IN-DATA once both sessions wait (IDLE accepted, DATA half sent), then waits (at most 60 s) for
GO_FILE to exist: the test sends SIGHUP meanwhile. Then it ends DATA, expects the 250, asks for two
refusals (an unknown local user, a relay attempt), expects the IDLE to report the new message, and
logs out. Exits 0 only if every step got the reply it should; every wait is bounded.
"""
import os
import socket
import sys
import time

host, smtp_port, imap_port, user, password, go_file = sys.argv[1:7]


class Line:
    def __init__(self, port):
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.file = self.sock.makefile("rb")

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def line(self):
        data = self.file.readline()
        if not data:
            raise SystemExit("connection closed")
        return data.decode(errors="replace").rstrip("\r\n")

    def until(self, predicate):
        for _ in range(200):
            text = self.line()
            if predicate(text):
                return text
        raise SystemExit("no expected line")


def reply(smtp):
    """The last line of a (multi-line) SMTP reply."""
    return smtp.until(lambda text: len(text) < 4 or text[3] != "-")


def expect(text, prefix):
    if not text.startswith(prefix):
        raise SystemExit(f"expected {prefix!r}, got {text!r}")
    return text


imap = Line(imap_port)
expect(imap.line(), "* OK")
imap.send(f'a LOGIN "{user}" "{password}"')
expect(imap.until(lambda t: t.startswith("a ")), "a OK")
imap.send("b SELECT INBOX")
expect(imap.until(lambda t: t.startswith("b ")), "b OK")
imap.send("c IDLE")
expect(imap.line(), "+")

smtp = Line(smtp_port)
expect(reply(smtp), "220")
smtp.send("EHLO client.example.org")
expect(reply(smtp), "250")
smtp.send("MAIL FROM:<alice@example.org>")
expect(reply(smtp), "250")
smtp.send(f"RCPT TO:<{user}>")
expect(reply(smtp), "250")
smtp.send("DATA")
expect(reply(smtp), "354")
smtp.send("From: alice@example.org")
smtp.send(f"To: {user}")
smtp.send("Subject: across a reload")
smtp.send("Message-ID: <reload-1@example.org>")
smtp.send("")
smtp.send("first half, sent before SIGHUP")
print("IN-DATA", flush=True)

deadline = time.monotonic() + 60
while not os.path.exists(go_file):
    if time.monotonic() > deadline:
        raise SystemExit("GO_FILE never appeared")
    time.sleep(0.05)

smtp.send("second half, sent after SIGHUP")
smtp.send(".")
accepted = expect(reply(smtp), "250")
smtp.send("MAIL FROM:<alice@example.org>")
expect(reply(smtp), "250")
smtp.send(f"RCPT TO:<nobody@{user.split('@')[1]}>")
expect(reply(smtp), "550 5.1.1")
smtp.send("RCPT TO:<someone@elsewhere.example>")
expect(reply(smtp), "554 5.7.1")
smtp.send("QUIT")
expect(reply(smtp), "221")

imap.until(lambda t: t.endswith("EXISTS"))
imap.send("DONE")
expect(imap.until(lambda t: t.startswith("c ")), "c OK")
imap.send("d LOGOUT")
expect(imap.until(lambda t: t.startswith("d ")), "d OK")
print("DONE", accepted, flush=True)
