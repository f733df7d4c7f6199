#!/usr/bin/env python3
"""Two correo nodes on one PostgreSQL store serve one set of newsgroups (issue 18: "the NNTP groups").

The group misc.test (address misc@example.com) was made with `correo group add --store`. From outside:

- an article POSTed over NNTP on node 1 and a mail sent over SMTP to the group's address on node 2 are
  both in the group on both nodes, under the same article numbers, found by message-id on either;
- node 1's IMAP shows them in `#news.misc.test`, and an APPEND there on node 2 is a post that node 1's
  NNTP sees next.

Usage: news_nodes.py NNTP1 NNTP2 SMTP2 IMAP1 IMAP2 USER PASSWORD
Prints one JSON line with what each node saw; exit status 0 when every check holds.
"""
import imaplib
import json
import re
import smtplib
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import nntplib

HOST = "127.0.0.1"
GROUP = "misc.test"
TIMEOUT = 30
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def nntp(port):
    server = nntplib.NNTP(HOST, port, timeout=TIMEOUT, readermode=True)
    server.login(USER, PASSWORD, usenetrc=False)
    return server


def group_view(port):
    """(count, first, last, {number: message-id}) of the group as the node's NNTP shows it."""
    server = nntp(port)
    try:
        _, count, first, last, _ = server.group(GROUP)
        _, overviews = server.over((first, last)) if count else (None, [])
        ids = {number: fields["message-id"] for number, fields in overviews}
        return count, first, last, ids
    finally:
        server.quit()


def imap_subjects(port):
    client = imaplib.IMAP4(HOST, port, timeout=TIMEOUT)
    try:
        client.login(USER, PASSWORD)
        status, data = client.select('"#news.misc.test"', readonly=True)
        check(status == "OK", f"IMAP SELECT of #news.misc.test on port {port}: {data}")
        status, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = {}
        for item in data:
            if isinstance(item, tuple):
                uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                subjects[uid] = item[1].decode().strip().removeprefix("Subject: ")
        return subjects
    finally:
        client.logout()


def main():
    nntp1, nntp2, smtp2, imap1, imap2 = (int(port) for port in sys.argv[1:6])
    # An article posted over NNTP on node 1.
    server = nntp(nntp1)
    article = (
        f"From: {USER}\r\nNewsgroups: {GROUP}\r\nSubject: posted on node 1\r\n\r\nHello from NNTP.\r\n"
    ).encode()
    response = server.post(article.split(b"\r\n"))
    server.quit()
    check(response.startswith("240"), f"POST on node 1: {response}")

    # A mail for the group's address, over SMTP to node 2.
    with smtplib.SMTP(HOST, smtp2, timeout=TIMEOUT) as smtp:
        smtp.sendmail(
            "someone@example.net",
            ["misc@example.com"],
            b"From: someone@example.net\r\nTo: misc@example.com\r\nSubject: mailed to node 2\r\n"
            b"Message-ID: <mailed@example.net>\r\n\r\nHello from SMTP.\r\n",
        )

    one = group_view(nntp1)
    two = group_view(nntp2)
    check(one == two, f"the nodes disagree: {one} / {two}")
    check(one[0] == 2 and (one[1], one[2]) == (1, 2), f"node 1 sees {one}")
    check("<mailed@example.net>" in one[3].values(), f"the mailed article is missing: {one}")

    # By message-id, on the node that did not store it.
    posted_id = next((mid for mid in two[3].values() if mid != "<mailed@example.net>"), None)
    server = nntp(nntp2)
    _, info = server.article(posted_id)
    server.quit()
    check(b"Hello from NNTP." in b"\r\n".join(info.lines), "node 2's ARTICLE <id> of node 1's post")
    server = nntp(nntp1)
    _, info = server.head("<mailed@example.net>")
    server.quit()
    check(any(line.startswith(b"Subject: mailed to node 2") for line in info.lines), "node 1's HEAD <id>")

    subjects = imap_subjects(imap1)
    check(sorted(subjects.values()) == ["mailed to node 2", "posted on node 1"], f"IMAP on node 1: {subjects}")

    # APPEND into the namespace on node 2 is a post; node 1's NNTP sees it as article 3.
    client = imaplib.IMAP4(HOST, imap2, timeout=TIMEOUT)
    client.login(USER, PASSWORD)
    status, data = client.append(
        '"#news.misc.test"', None, None,
        f"From: {USER}\r\nSubject: appended on node 2\r\n\r\nHello from IMAP.\r\n".encode(),
    )
    client.logout()
    check(status == "OK" and re.search(rb"\[APPENDUID \d+ 3\]", data[0]) is not None, f"APPEND: {data}")
    after = group_view(nntp1)
    check(after[0] == 3 and after[2] == 3, f"node 1 after the APPEND: {after}")

    print(json.dumps({"node1": one[:3], "node2": two[:3], "imap1": len(subjects), "after_append": after[:3],
                      "failures": failures}))
    return 0 if not failures else 1


if __name__ == "__main__":
    USER, PASSWORD = sys.argv[6], sys.argv[7]
    sys.exit(main())
