#!/usr/bin/env python3
"""Times what a mail client does first on a big mailbox: SELECT INBOX, then Thunderbird's header fetch
(UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (...)])). Run it against correo and
against a reference server (Dovecot) on the same Maildir; prints one JSON line.

usage: first_sync_bench.py HOST PORT USER PASSWORD [RUNS]
"""
import imaplib
import json
import sys
import time

FIELDS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To "
          "Content-Type Reply-To")


def main():
    host, port, user, password = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    results = []
    for _ in range(runs):
        imap = imaplib.IMAP4(host, int(port))
        imap.login(user, password)
        start = time.perf_counter()
        typ, data = imap.select("INBOX")
        select_seconds = time.perf_counter() - start
        assert typ == "OK", data
        start = time.perf_counter()
        typ, data = imap.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (%s)])" % FIELDS)
        fetch_seconds = time.perf_counter() - start
        assert typ == "OK"
        fetched = sum(1 for item in data if isinstance(item, tuple))
        imap.logout()
        results.append({"messages": fetched, "select_s": round(select_seconds, 3),
                        "header_fetch_s": round(fetch_seconds, 3)})
    print(json.dumps({"runs": results}))


if __name__ == "__main__":
    main()
