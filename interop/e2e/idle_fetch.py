#!/usr/bin/env python3
"""Waits in IDLE for one new message, then saves its exact bytes.

usage: idle_fetch.py HOST PORT USER PASSWORD OUTPUT_FILE

Logs in with imaplib, SELECTs INBOX and sends IDLE. Prints "IDLING" once the server answers "+", so the
caller knows it may deliver now. Waits (at most 90 s: a loaded CI machine once took 30 s to answer IDLE) for an untagged EXISTS above the count SELECT gave,
prints "EXISTS <n>", ends IDLE with DONE, looks up the new message's UID and writes the literal of
"UID FETCH <uid> BODY.PEEK[]" to OUTPUT_FILE unchanged. Exits 0 only if all of that happened.
"""
import imaplib
import re
import sys
import time

WAIT_SECONDS = 90


def fail(message):
    print("FAIL " + message, flush=True)
    sys.exit(1)


def main():
    host, port, user, password, output = sys.argv[1:6]
    imap = imaplib.IMAP4(host, int(port), timeout=WAIT_SECONDS)
    imap.login(user, password)
    typ, data = imap.select("INBOX")
    if typ != "OK":
        fail("SELECT: %r" % data)
    before = int(data[0])

    imap.send(b"e1 IDLE\r\n")
    line = imap.readline()
    if not line.startswith(b"+"):
        fail("IDLE: %r" % line)
    print("IDLING", flush=True)

    count = None
    deadline = time.monotonic() + WAIT_SECONDS
    while count is None and time.monotonic() < deadline:
        line = imap.readline()
        if not line:
            fail("connection closed while idling")
        match = re.match(rb"\* (\d+) EXISTS\r\n", line)
        if match and int(match.group(1)) > before:
            count = int(match.group(1))
    if count is None:
        fail("no EXISTS within %d s" % WAIT_SECONDS)
    print("EXISTS %d" % count, flush=True)

    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if not line:
            fail("connection closed after DONE")
        if line.startswith(b"e1 "):
            if not line.startswith(b"e1 OK"):
                fail("DONE: %r" % line)
            break

    typ, data = imap.fetch(str(count), "(UID)")
    match = re.search(rb"UID (\d+)", data[0] if data and data[0] else b"")
    if typ != "OK" or not match:
        fail("FETCH UID: %r" % data)
    uid = match.group(1).decode()

    typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    literals = [item[1] for item in data if isinstance(item, tuple) and b"BODY[]" in item[0]]
    if typ != "OK" or len(literals) != 1:
        fail("UID FETCH: %r" % data)
    with open(output, "wb") as file:
        file.write(literals[0])
    print("FETCHED UID %s %d bytes" % (uid, len(literals[0])), flush=True)
    imap.logout()


if __name__ == "__main__":
    main()
