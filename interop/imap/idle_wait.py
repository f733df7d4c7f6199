#!/usr/bin/env python3
"""Logs in, selects INBOX, enters IDLE, prints IDLING, and waits (at most 120 s) for an untagged EXISTS.

usage: idle_wait.py HOST PORT USER PASSWORD
Prints "EXISTS <n>" when the server announces new mail, then ends IDLE with DONE and logs out.
"""
import imaplib
import sys
import time


def main():
    host, port, user, password = sys.argv[1:5]
    imap = imaplib.IMAP4(host, int(port))
    imap.login(user, password)
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    before = int(data[0])
    imap.send(b"i1 IDLE\r\n")
    line = imap.readline()
    assert line.startswith(b"+"), line
    print("IDLING", flush=True)
    # Generous: with the whole test suite running on two cores, the cooperative pool that carries both
    # the delivery and the answer to DONE has been seen starved for tens of seconds (a CI run failed
    # at 30 s); a hang still fails (socket timeout), a slow machine no longer does.
    imap.sock.settimeout(120)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = imap.readline()
        if line.endswith(b"EXISTS\r\n"):
            count = int(line.split()[1])
            if count > before:
                print("EXISTS %d" % count, flush=True)
                break
    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if line.startswith(b"i1 "):
            assert line.startswith(b"i1 OK"), line
            break
    imap.logout()


if __name__ == "__main__":
    main()
