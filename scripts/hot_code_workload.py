#!/usr/bin/env python3
"""What a mail server does on a normal day, played against correo once, for scripts/hot-code-order.sh.

    hot_code_workload.py smtp  --port P --count N [--size BYTES]
    hot_code_workload.py imap  --port P [--tls]
    hot_code_workload.py nntp  --port P

`smtp` sends N messages to u0..u3@bench.test (EHLO, MAIL, RCPT, DATA, one connection, then one more
after STARTTLS when offered); `imap` logs u0 in and walks the usual client session (LIST, SELECT,
FETCH of flags, envelopes, structures and bodies, SEARCH, STORE, APPEND, IDLE woken by that APPEND
from a second connection, EXPUNGE, LOGOUT); `nntp` reads the capabilities and the group list. The
function ordering only needs each path run once, not timed: every step is small, and any refusal
fails the run so that a broken server never yields a profile.
"""

import argparse
import imaplib
import smtplib
import socket
import ssl
import sys
import threading

USERS = [f"u{i}@bench.test" for i in range(4)]
PASSWORD = "benchpass"


def message(i, size):
    head = (
        f"From: Sender <sender{i}@example.org>\r\nTo: <{USERS[i % len(USERS)]}>\r\n"
        f"Subject: profile message {i}\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\n"
        f"Message-ID: <profile.{i}@example.org>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    )
    line = "mail server queue delivery message header body relay domain inbox folder client\r\n"
    return (head + line * max(1, (size - len(head)) // len(line))).encode()


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def smtp(args):
    with smtplib.SMTP("127.0.0.1", args.port, timeout=120) as client:
        client.ehlo("profile.example.org")
        for i in range(args.count):
            client.sendmail(f"sender{i}@example.org", [USERS[i % len(USERS)]], message(i, args.size))
    with smtplib.SMTP("127.0.0.1", args.port, timeout=120) as client:
        client.ehlo("profile.example.org")
        if client.has_extn("starttls"):
            client.starttls(context=unverified())
            client.ehlo("profile.example.org")
            client.sendmail("tls@example.org", [USERS[0]], message(args.count, args.size))


def imap(args):
    def connect():
        if args.tls:
            return imaplib.IMAP4_SSL("127.0.0.1", args.port, ssl_context=unverified(), timeout=120)
        return imaplib.IMAP4("127.0.0.1", args.port, timeout=120)

    def ok(reply):
        if reply[0] != "OK":
            sys.exit(f"imap: {reply}")
        return reply[1]

    client = connect()
    ok(client.login(USERS[0], PASSWORD))
    ok(client.list())
    ok(client.select("INBOX"))
    ok(client.fetch("1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"))
    ok(client.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])"))
    ok(client.fetch("1:5", "(BODY.PEEK[])"))
    ok(client.fetch("1", "(BODY[TEXT])"))
    ok(client.uid("SEARCH", None, "SUBJECT", "profile"))
    ok(client.search(None, "UNSEEN"))
    ok(client.store("1:2", "+FLAGS", "(\\Flagged \\Deleted)"))
    created = client.create("Archive")  # made by an earlier run on the same storage: fine
    if created[0] != "OK" and b"ALREADYEXISTS" not in created[1][0]:
        sys.exit(f"imap: {created}")
    ok(client.copy("3", "Archive"))
    ok(client.status("Archive", "(MESSAGES UIDNEXT UNSEEN)"))

    # IDLE, woken by an APPEND from a second session, as a client waiting for new mail is.
    tag = client._new_tag().decode()
    client.send(f"{tag} IDLE\r\n".encode())
    if not client.readline().startswith(b"+"):
        sys.exit("imap: IDLE refused")

    def append():
        other = connect()
        ok(other.login(USERS[0], PASSWORD))
        ok(other.append("INBOX", None, None, message(99, 2000)))
        other.logout()

    writer = threading.Thread(target=append)
    writer.start()
    if b"EXISTS" not in client.readline():
        sys.exit("imap: no EXISTS during IDLE")
    writer.join()
    client.send(b"DONE\r\n")
    while not client.readline().startswith(tag.encode()):
        pass
    ok(client.expunge())
    ok(client.close())
    client.logout()


def nntp(args):
    with socket.create_connection(("127.0.0.1", args.port), timeout=60) as connection:
        stream = connection.makefile("rwb")
        if not stream.readline().startswith(b"20"):
            sys.exit("nntp: no greeting")
        for command in (b"CAPABILITIES", b"LIST", b"LIST NEWSGROUPS", b"QUIT"):
            stream.write(command + b"\r\n")
            stream.flush()
            status = stream.readline()
            if not status[:1] in (b"1", b"2"):
                sys.exit(f"nntp: {command!r} answered {status!r}")
            if command != b"QUIT" and status[:3] in (b"101", b"215"):
                while stream.readline() not in (b".\r\n", b""):
                    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("protocol", choices=["smtp", "imap", "nntp"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    {"smtp": smtp, "imap": imap, "nntp": nntp}[args.protocol](args)


if __name__ == "__main__":
    main()
