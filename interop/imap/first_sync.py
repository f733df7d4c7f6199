#!/usr/bin/env python3
"""Thunderbird's first-sync sequence against an IMAP server, with Python's imaplib.

usage: first_sync.py HOST PORT USER PASSWORD OUTDIR

Runs LIST "" "*", SELECT INBOX, the header fetch Thunderbird sends
(UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (...)])), then UID FETCH n BODY.PEEK[]
for every message. Writes OUTDIR/result.json and OUTDIR/<uid>.eml / <uid>.hdr with the raw bytes,
so the caller can compare them with what is on disk. Exits non-zero on any protocol failure.
"""
import imaplib
import json
import os
import re
import sys

HEADER_FIELDS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups "
                 "In-Reply-To Content-Type Reply-To")


def main():
    host, port, user, password, outdir = sys.argv[1:6]
    imap = imaplib.IMAP4(host, int(port))
    result = {"capabilities": [c.decode() if isinstance(c, bytes) else c for c in imap.capabilities]}
    imap.login(user, password)
    typ, data = imap.list('""', '"*"')
    assert typ == "OK", data
    result["list"] = [line.decode() for line in data if line]
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    result["exists"] = int(data[0])
    result["uidvalidity"] = int(imap.untagged_responses.get("UIDVALIDITY", [b"0"])[0])
    result["uidnext"] = int(imap.untagged_responses.get("UIDNEXT", [b"0"])[0])
    typ, data = imap.uid("FETCH", "1:*",
                         "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (%s)])" % HEADER_FIELDS)
    assert typ == "OK", data
    messages = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        prefix = item[0].decode()
        uid = int(re.search(r"UID (\d+)", prefix).group(1))
        size = int(re.search(r"RFC822\.SIZE (\d+)", prefix).group(1))
        flags = re.search(r"FLAGS \(([^)]*)\)", prefix).group(1)
        with open(os.path.join(outdir, "%d.hdr" % uid), "wb") as f:
            f.write(item[1])
        messages.append({"uid": uid, "size": size, "flags": flags})
    result["messages"] = messages
    for message in messages:
        typ, data = imap.uid("FETCH", str(message["uid"]), "(BODY.PEEK[])")
        assert typ == "OK", data
        body = next(item[1] for item in data if isinstance(item, tuple))
        with open(os.path.join(outdir, "%d.eml" % message["uid"]), "wb") as f:
            f.write(body)
        prefix = next(item[0] for item in data if isinstance(item, tuple)).decode()
        assert "UID %d" % message["uid"] in prefix, prefix
    typ, data = imap.uid("SEARCH", None, "ALL")
    assert typ == "OK", data
    result["search_all"] = [int(n) for n in data[0].split()]
    imap.logout()
    with open(os.path.join(outdir, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
