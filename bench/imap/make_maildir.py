#!/usr/bin/env python3
"""Fills a Maildir's new/ with COUNT varied messages (CRLF line ends), for IMAP benchmarks.

usage: make_maildir.py MAILDIR COUNT
"""
import os
import sys
import time


def main():
    maildir, count = sys.argv[1], int(sys.argv[2])
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    now = int(time.time())
    for i in range(count):
        body = ("Line %d of a message body that is long enough to look like mail.\r\n" % i) * (5 + i % 40)
        message = ("From: Sender %d <sender%d@example.org>\r\nTo: Bob <bob@example.org>\r\n"
                   "Subject: Benchmark message %d\r\nDate: Tue, 5 Mar 2024 10:20:30 +0100\r\n"
                   "Message-ID: <bench-%d@example.org>\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                   "X-Filler: %s\r\n\r\n%s") % (i % 97, i % 97, i, i, "x" * (i % 200), body)
        data = message.encode()
        name = "%d.M%dP%d.bench,S=%d:2," % (now, i, os.getpid(), len(data))
        with open(os.path.join(maildir, "cur", name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
