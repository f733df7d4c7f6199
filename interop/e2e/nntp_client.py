#!/usr/bin/env python3
"""Reads and posts to `correo serve` with Python's nntplib, as a newsreader would.

    nntp_client.py HOST NNTP_PORT NNTPS_PORT USER PASSWORD GROUP

Over the STARTTLS port: CAPABILITIES, STARTTLS, AUTHINFO, LIST, LIST NEWSGROUPS, GROUP, POST, OVER, ARTICLE,
BODY, HEAD, STAT, XHDR, NEWNEWS, IHAVE (the server must list this client with --nntp-peer), DATE; then the
same article over the implicit-TLS port. Prints one
"ok ..." line per check and exits 0 when every check held, 1 with the reason otherwise.
"""
import datetime
import ssl
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib  # noqa: E402  (deprecated in 3.11, removed in 3.13; Debian 12 ships 3.11)


def check(condition, what):
    if not condition:
        print("FAILED: " + what, flush=True)
        sys.exit(1)
    print("ok " + what, flush=True)


def main():
    host, port, tls_port, user, password, group = sys.argv[1:7]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # correo's self-signed certificate

    s = nntplib.NNTP(host, int(port), timeout=30)
    caps = s.getcapabilities()
    check("STARTTLS" in caps and "AUTHINFO" not in caps, "STARTTLS offered, AUTHINFO not before TLS")
    s.starttls(context)
    check("AUTHINFO" in s.getcapabilities(), "AUTHINFO offered after STARTTLS")
    s.login(user, password)
    check(True, "AUTHINFO USER/PASS accepted")

    resp, groups = s.list()
    names = [g.group for g in groups]
    check(group in names and "archive.ro" in names, "LIST ACTIVE shows the groups: %s" % names)
    check([g.flag for g in groups if g.group == "archive.ro"] == ["n"], "a read-only group has status n")
    resp, descriptions = s.descriptions("*")
    check(descriptions.get(group) == "Test group", "LIST NEWSGROUPS gives the description")

    resp, count, first, last, name = s.group(group)
    check(count == 0, "GROUP of a new group is empty: %s" % resp)

    article = [
        b"From: Bob <" + user.encode() + b">",
        b"Newsgroups: " + group.encode(),
        b"Subject: Hello news",
        b"",
        b"First line.",
        b".A line that starts with a dot.",
        b"..",
        b"Last line.",
    ]
    resp = s.post(article)
    check(resp.startswith("240"), "POST accepted: " + resp)
    try:
        s.post([b"From: x@y", b"Newsgroups: archive.ro", b"Subject: no", b"", b"body"])
        check(False, "POST to a read-only group must fail")
    except nntplib.NNTPTemporaryError as error:
        check(str(error).startswith("441"), "POST to a read-only group refused: %s" % error)

    resp, count, first, last, name = s.group(group)
    check(count == 1 and first == last, "GROUP counts the posted article: %s" % resp)
    resp, overviews = s.over((first, last))
    check(len(overviews) == 1, "OVER gives one line")
    number, fields = overviews[0]
    check(fields["subject"] == "Hello news" and fields["message-id"].startswith("<"), "OVER fields: %s" % fields)
    check(int(fields[":lines"]) == 4, "OVER :lines counts the body lines")
    message_id = fields["message-id"]

    resp, info = s.article(message_id)
    lines = info.lines
    check(b"Path: " in b"\n".join(lines) and any(l.startswith(b"Injection-Info: ") for l in lines),
          "the injected article has Path and Injection-Info")
    check(lines[-4:] == [b"First line.", b".A line that starts with a dot.", b"..", b"Last line."],
          "ARTICLE by message-id gives the body back, dots and all")
    resp, info = s.body(number)
    check(info.lines == lines[-4:], "BODY by number gives the same body")
    resp, info = s.head(number)
    check(any(l == b"Subject: Hello news" for l in info.lines) and b"" not in info.lines, "HEAD gives the header")
    resp, num, mid = s.stat(number)
    check(mid == message_id, "STAT gives the message-id")
    resp, headers = s.xhdr("subject", "%d-" % first)
    check(headers == [(str(number), "Hello news")], "XHDR subject: %s" % headers)
    resp, ids = s.newnews(group, datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    check(ids == [message_id], "NEWNEWS lists the article: %s" % ids)
    fed = [b"Path: peer.test!not-for-mail", b"From: peer@peer.test", b"Newsgroups: " + group.encode(),
           b"Subject: Fed by a peer", b"Message-ID: <fed@peer.test>", b"", b"From the peer."]
    resp = s.ihave("<fed@peer.test>", fed)
    check(resp.startswith("235"), "IHAVE from a configured peer transferred: " + resp)
    try:
        s.ihave("<fed@peer.test>", fed)
        check(False, "IHAVE of a known article must be refused")
    except nntplib.NNTPTemporaryError as error:
        check(str(error).startswith("435"), "IHAVE of a known article: %s" % error)
    resp, date = s.date()
    check(abs((date.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 120,
          "DATE is now")
    s.quit()

    t = nntplib.NNTP_SSL(host, int(tls_port), ssl_context=context, timeout=30)
    resp, count, first, last, name = t.group(group)
    resp, info = t.article(first)
    check(info.message_id == message_id, "NNTPS (implicit TLS) serves the same article")
    t.quit()
    print("all checks passed", flush=True)


if __name__ == "__main__":
    main()
