#!/usr/bin/env python3
"""Writes the small seed corpora in fuzz/corpus/ (rerun after editing; the files are committed)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


SEEDS = {
    "mime": [
        crlf("From: a@example.org\nTo: b@example.org\nSubject: hi\nDate: Thu, 26 Nov 2026 10:00:00 +0100\n\nHello\n"),
        crlf("Content-Type: multipart/mixed; boundary=XX\n\npreamble\n--XX\nContent-Type: text/plain; charset=utf-8\n\n"
             "one\n--XX\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n--XX--\nepilogue\n"),
        crlf("Content-Type: multipart/alternative; boundary=\"a b\"\n\n--a b\nContent-Type: text/plain\n"
             "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9=\n\n--a b\nContent-Type: text/html\n\n<p>x</p>\n--a b--\n"),
        crlf("Content-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: =?utf-8?q?inner?=\n\nbody\n"),
        crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/related; boundary=i\n\n--i\n"
             "Content-Type: text/html\n\nx\n--i\nContent-Type: image/png; name*=utf-8''%C3%A9.png\n"
             "Content-Disposition: inline; filename*0=a; filename*1=b.png\nContent-ID: <c@x>\n\niVBO\n--i--\n--o\n"
             "Content-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\nz\n--z--\n--o--\n"),
        b"Subject: bare LF\nContent-Type: text/plain\n\nline\nline\n",
        crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nno close\n"),
        crlf("Content-Type: multipart/mixed\n\nno boundary\n"),
        crlf("Subject: folded\n subject\n\twith tabs\nX-Empty:\n\n"),
        crlf("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n") + b"caf\xe9\r\n",
        crlf("Content-Type: message/global\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp4\n"),
        crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nd\n--d--\n"),
    ],
    "header": [
        crlf("From: a@example.org\nTo: b@example.org\nSubject: hi\n\nbody"),
        crlf("Subject: folded\n over\n\tlines\n\n"),
        b"Subject: bare\nX: y\n\n",
        crlf("no colon line\nName : obsolete space\n\n"),
        crlf(" stray continuation\nA: b\n\n"),
        crlf("Received: from x by y; Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <a@b>\nReferences: <a@b> <c@d>\n\n"),
        crlf("Subject: =?utf-8?B?w6k=?= =?utf-8?Q?_x?=\n\n"),
        crlf("A:\nB:   \n\n"),
        "Subject: ünïcödé\r\n\r\n".encode(),
        b"X: a\r\n\r\nbody\r\n\r\n",
        crlf("In-Reply-To: <x@y>\nCc: \"q\" <q@x>, r@x\n"),
        b"X: unterminated",
    ],
    "address": [
        b"a@example.org",
        b"John Doe <john@example.org>, \"Smith, J.\" <j.smith@example.org>",
        b"undisclosed-recipients:;",
        b"team: a@x, b@y;, c@z",
        b"=?utf-8?q?J=C3=B6rg?= <j@example.de>",
        b"\"quoted local\"@example.org",
        b"<@route1,@route2:user@example.org>",
        b"user@[192.0.2.1], user@[IPv6:2001:db8::1]",
        b"a@b (comment (nested)) , , c@d",
        "Jörg <jörg@bücher.example>".encode(),
        b"\"unterminated <x@y>",
        b"first.last+tag@sub.example.co.uk",
    ],
    "encoded-words": [
        b"=?utf-8?B?w6lsw6h2ZQ==?=",
        b"=?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_au_lait?=",
        b"=?utf-8?q?a?= b =?utf-8?q?c?=",
        b"=?utf-8*en?Q?lang?=",
        b"; charset=utf-8; format=flowed",
        b"text/plain; name*=utf-8'en'%C3%A9t%C3%A9.txt",
        b"attachment; filename*0*=utf-8''%C3%A9; filename*1=t%C3%A9.pdf; filename=fallback.pdf",
        b"multipart/mixed; boundary=\"==abc==\" (comment); x=\"a\\\"b\"",
        b"; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
        b"=?gb2312?B?xOO6ww==?=",
        "plain ünïcödé text".encode(),
        b"=?utf-8?B?broken",
    ],
    "transfer-encoding": [
        b"\x00hello world",
        b"\x05aGVsbG8gd29ybGQ=\r\n",
        b"\x10caf=C3=A9 au lait=\r\nsoft break\r\n",
        b"\x03trailing space  \r\nand tab\t\n",
        b"\x40" + bytes(range(256)),
        b"\x00=\r\n=XX=4=\n",
        b"\x07" + b"A" * 200,
        b"\x01\r\r\n\n\r",
        b"\x02....\n.\r\n",
        b"\x09" + "ünïcödé".encode() * 10,
        b"\x11aGVs\r\nbG8=\r\n====",
        b"\x00From line\r\nFrom x\r\n",
    ],
    "date": [
        b"Thu, 26 Nov 2026 10:00:00 +0100",
        b"26 Nov 2026 10:00 -0500",
        b"Thu, 26 Nov 26 10:00:00 GMT",
        b"Thu, 26 Nov 2026 10:00:00 EST (comment)",
        b"Thu,  6 Nov 1926 23:59:60 +2359",
        b"26-Nov-2026 10:00:00 +0000",
        b"Mon, 1 Jan 0001 00:00:00 Z",
        b"Fri, 31 Dec 9999 23:59:59 -2359",
        b"Tue, 29 Feb 2028 12:00:00 UT",
        b"Wed, 31 Apr 2026 12:00:00 +0000",
        b"  Sun ,  1  Mar  2026  01:02:03  PDT  ",
        b"Thu Nov 26 10:00:00 2026",
    ],
}

SEEDS["mail-auth-records"] = [
    b"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1; t=1700000000; h=From:Subject:Date;"
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=dGVzdA==",
    b"v=1; a=ed25519-sha256; d=football.example.com; i=@football.example.com; q=dns/txt; s=brisbane;"
    b" l=10; x=1800000000; h=from : to : subject; bh=AAAA; b=/gCr inpc\r\n QOo=",
    b"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:%{d}/28//64 mx include:_spf.%{d2} exists:%{ir}.%{l1r-}.%{v}._spf.%{d} ptr ~all",
    b"redirect=_spf.example.com exp=explain.%{o} foo=%{h}%%%_%-",
    b"%{S}%{L2r+-}%{c}%{t}%{r}",
    b"v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; rua=mailto:d@example.org",
    b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n".decode("unicode_escape").encode("latin-1"),
]

AUTH_PLAIN = "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA=="  # \0alice@example.org\0secret

SMTP = [
    # flags byte (listener, TLS, plaintext auth, sender match, postmaster, small size, few recipients), seed byte
    (0x00, "EHLO client.example\nMAIL FROM:<a@example.com>\nRCPT TO:<bob@example.org>\nDATA\n"
           "Subject: hi\n\nHello\n..dot\n.\nQUIT\n"),
    (0x08, "HELO c\nMAIL FROM:<>\nRCPT TO:<postmaster>\nRCPT TO:<xnobody@example.org>\nDATA\nx\n.\n"),
    (0x09, f"EHLO c\nAUTH PLAIN {AUTH_PLAIN}\nMAIL FROM:<alice@example.org> SIZE=100 BODY=8BITMIME\n"
           "RCPT TO:<r@elsewhere.example>\nRCPT TO:<bob@example.org> NOTIFY=NEVER\nDATA\nbody\n.\n"),
    (0x09, "EHLO c\nAUTH LOGIN\nYWxpY2VAZXhhbXBsZS5vcmc=\nc2VjcmV0\nMAIL FROM:<alice@example.org>\nRSET\nNOOP\n"),
    (0x0A, "EHLO c\nAUTH PLAIN\n*\nAUTH CRAM-MD5\nAUTH PLAIN !!!\nQUIT\n"),
    (0x04, "EHLO c\nSTARTTLS\nEHLO c\n"),
    (0x00, "EHLO c\nMAIL FROM:<a@x.example> BODY=BINARYMIME\nRCPT TO:<b@example.org>\nBDAT 5\nhelloBDAT 0 LAST\n"),
    (0x40, "EHLO c\nMAIL FROM:<a@x.example>\nRCPT TO:<b@example.org>\nDATA\n" + "x" * 300 + "\n.\n"),
    (0x80, "EHLO c\nMAIL FROM:<a@x.example>\n" + "RCPT TO:<b@example.org>\n" * 5 + "DATA\n.\n"),
    (0x00, "EHLO c\nMAIL FROM:<a@x.example> SMTPUTF8\nRCPT TO:<j\u00f6rg@example.org>\nVRFY x\nEXPN y\nHELP\n"),
    (0x00, "GARBAGE\n" * 12),
    (0x00, "EHLO c\nMAIL FROM:<\"quoted local\"@[192.0.2.1]>\nRCPT TO:<@route:b@example.org>\nDATA\n"
           + "y" * 1200 + "\n.\n"),
]
SEEDS["smtp-session"] = [bytes([flags, 7]) + crlf(text) for flags, text in SMTP]

IMAP = [
    # flags byte (TLS, STARTTLS offered, plaintext auth, small limits, CONDSTORE), seed byte
    (0x04, "a1 CAPABILITY\na2 LOGIN alice@example.org secret\na3 SELECT INBOX\n"
           "a4 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODYSTRUCTURE)\na5 LOGOUT\n"),
    (0x04, "a LOGIN {17}\nalice@example.org {6}\nsecret\nb LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES))\n"),
    (0x0C, "a LOGIN \"alice@example.org\" \"secret\"\nb APPEND Drafts (\\Seen) {12+}\nSubject: x\n\nc NOOP\n"),
    (0x0C, "a LOGIN alice@example.org secret\nb APPEND INBOX {999999}\nc APPEND INBOX {400+}\n" + "z" * 400 + "\n"),
    (0x05, "a AUTHENTICATE PLAIN\nAGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==\nb SELECT \"&AMk-t&AOk-\"\nc IDLE\nDONE\n"),
    (0x02, "a STARTTLS\nb LOGIN alice@example.org secret\n"),
    (0x04, "a LOGIN alice@example.org wrong\nb LOGIN alice@example.org wrong\nc LOGIN alice@example.org wrong\n"),
    (0x14, "a LOGIN alice@example.org secret\nb ENABLE CONDSTORE\nc SELECT INBOX (CONDSTORE)\n"
           "d UID SEARCH CHARSET UTF-8 OR (FROM \"x\" SINCE 1-Jan-2026) NOT (UID 1:5,7 LARGER 10) HEADER Subject {3+}\nabc\n"
           "e UID STORE 1:* +FLAGS.SILENT (\\Deleted $Junk) (UNCHANGEDSINCE 5)\nf UID EXPUNGE 1:*\n"),
    (0x04, "a LOGIN alice@example.org secret\nb CREATE \"a/b\\\"c\"\nc RENAME a b\nd STATUS INBOX (MESSAGES UIDNEXT)\n"
           "e COPY 1,2:4 Archive\nf MOVE 3 Trash\ng EXAMINE Sent\nh CLOSE\ni UNSELECT\n"),
    (0x04, "a LOGIN alice@example.org secret\nb FETCH 1 (BODY[1.2.MIME]<0.100> BINARY[1] RFC822.SIZE ENVELOPE)\n"
           "c ID (\"name\" \"fuzz\" \"version\" NIL)\nd NAMESPACE\ne LSUB \"\" %\n"),
    (0x00, "bad\n* NOOP\na BOGUS\n" + "((((((((((\n" + "a " + "(" * 50 + "\n"),
    (0x08, "a " + "x" * 300 + "\nb LOGIN {1000}\nc NOOP\n"),
]
SEEDS["imap-session"] = [bytes([flags, 3]) + crlf(text) for flags, text in IMAP]

NNTP = [
    # flags byte (TLS, STARTTLS offered, plaintext auth, small article limit, IHAVE peer), seed byte
    (0x04, "CAPABILITIES\nMODE READER\nLIST ACTIVE comp.*,!comp.x.*\nGROUP misc.test\nOVER 1-\nARTICLE 3\n"
           "HEAD <a@b>\nNEXT\nLAST\nSTAT\nQUIT\n"),
    (0x04, "AUTHINFO USER bob@example.org\nAUTHINFO PASS secret\nPOST\nNewsgroups: misc.test\nSubject: x\n\n..dot\n.\n"),
    (0x05, "AUTHINFO SASL PLAIN\nAGJvYgBzZWNyZXQ=\nLISTGROUP misc.test 2-9\nXHDR Subject 1-5\nHDR :bytes <a@b>\n"),
    (0x02, "STARTTLS\nAUTHINFO USER injected\nCAPABILITIES\n"),
    (0x00, "NEWGROUPS 260101 000000 GMT\nNEWNEWS *,!alt.* 20260101 120000\nLIST NEWSGROUPS *\nLIST OVERVIEW.FMT\n"
           "LIST HEADERS RANGE\nLIST ACTIVE.TIMES\nDATE\nHELP\n"),
    (0x0C, "AUTHINFO USER a\nAUTHINFO PASS b\nPOST\n" + "y" * 100 + "\n.\nGROUP x\n"),
    (0x00, "GROUP\nARTICLE x\nLIST FOO\nFROB\nOVER 9-1\n" + "GROUP " + "a" * 600 + "\n"),
    (0x18, "IHAVE <i@x>\nPath: p!x\nMessage-ID: <i@x>\nNewsgroups: misc.test\n\n..b\n.\nIHAVE <j@x>\n" + "z" * 80 + "\n.\n"),
]
SEEDS["nntp-session"] = [bytes([flags, 5]) + crlf(text) for flags, text in NNTP]


# DNS responses (RFC 1035 4.1): dnsmasq's own answers for MX (with compression), TXT, AAAA, NXDOMAIN;
# a query with its OPT record; an SOA in the authority section; TLSA; a CNAME chain; TC set.
def dns_name(text):
    return b"".join(bytes([len(label)]) + label.encode() for label in text.split(".") if label) + b"\0"


def dns_header(flags, qd, an, ns, ar, ident=0x1234):
    return ident.to_bytes(2, "big") + flags.to_bytes(2, "big") + b"".join(n.to_bytes(2, "big") for n in (qd, an, ns, ar))


def dns_rr(owner, rtype, rdata, ttl=300):
    return owner + rtype.to_bytes(2, "big") + b"\0\x01" + ttl.to_bytes(4, "big") + len(rdata).to_bytes(2, "big") + rdata


DNS_SOA = dns_rr(b"\xc0\x0c", 6, dns_name("ns.test") + dns_name("hostmaster.test") + bytes(range(20)), ttl=60)
SEEDS["dns-message"] = [
    bytes.fromhex("123485800001000200000002076578616d706c65047465737400000f0001c00c000f00010000000000140014036d7832076578616d7"
                  "06c65047465737400c00c000f0001000000000014000a036d7831076578616d706c65047465737400c04c000100010000000000047f"
                  "000002c04c001c000100000000001000000000000000000000ffff7f000002"),
    bytes.fromhex("123485800001000100000000076578616d706c6504746573740000100001c00c0010000100000000000d07763d7370663120042d616c6c"),
    bytes.fromhex("123485800001000100000000036d7831076578616d706c65047465737400001c0001c00c001c000100000000001000000000000000000000ffff7f000002"),
    bytes.fromhex("123481830001000000000000046e6f706504746573740000010001"),
    dns_header(0x0100, 1, 0, 0, 1) + dns_name("example.org") + b"\0\x0f\0\x01" + b"\0\0\x29\x04\xd0\0\0\0\0\0\0",
    dns_header(0x8183, 1, 0, 1, 0) + dns_name("gone.test") + b"\0\x01\0\x01" + DNS_SOA,
    dns_header(0x8180, 1, 1, 0, 0) + dns_name("_25._tcp.mx.test") + b"\0\x34\0\x01" + dns_rr(b"\xc0\x0c", 52, b"\x03\x01\x01" + bytes(32)),
    dns_header(0x8180, 1, 3, 0, 0) + dns_name("www.test") + b"\0\x01\0\x01"
    + dns_rr(b"\xc0\x0c", 5, b"\x03web\xc0\x10") + dns_rr(b"\xc0\x26", 5, b"\x04host\xc0\x10")
    + dns_rr(b"\xc0\x36", 1, b"\x7f\0\0\x02"),
    dns_header(0x8380, 1, 0, 0, 0) + dns_name("big.test") + b"\0\x01\0\x01",
    dns_header(0x8182, 1, 0, 0, 0) + dns_name("fail.test") + b"\0\x0f\0\x01",
    dns_header(0x8180, 1, 1, 0, 0) + dns_name("ptr.test") + b"\0\x0c\0\x01" + dns_rr(b"\xc0\x0c", 12, b"\x04host\xc0\x0c"),
    dns_header(0x8180, 1, 1, 0, 0) + dns_name("nomail.test") + b"\0\x0f\0\x01" + dns_rr(b"\xc0\x0c", 15, b"\0\0\0"),
]


def main():
    for name, seeds in SEEDS.items():
        folder = os.path.join(HERE, "corpus", name)
        os.makedirs(folder, exist_ok=True)
        for index, seed in enumerate(seeds):
            with open(os.path.join(folder, f"seed-{index:02d}"), "wb") as handle:
                handle.write(seed)


if __name__ == "__main__":
    main()
