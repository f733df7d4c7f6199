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


def main():
    for name, seeds in SEEDS.items():
        folder = os.path.join(HERE, "corpus", name)
        os.makedirs(folder, exist_ok=True)
        for index, seed in enumerate(seeds):
            with open(os.path.join(folder, f"seed-{index:02d}"), "wb") as handle:
                handle.write(seed)


if __name__ == "__main__":
    main()
