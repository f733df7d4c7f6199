#!/usr/bin/env python3
"""Writes a varied, deterministic corpus of messages into a correo storage folder.

    corpus.py STORAGE [--user alice@example.org] [--password secret] [--count 240] [--seed 7]

Result (the layout correo and Dovecot both read):
    STORAGE/passwords.txt              USER:PASSWORD line added or replaced
    STORAGE/USER/{cur,new,tmp}         INBOX: --count messages
    STORAGE/USER/.Archive/...          a few more, for LIST/STATUS/COPY
    STORAGE/USER/.Lists.Swift/...      a nested Maildir++ folder

Every message is raw bytes built by hand (not by the email package), so it can be as
odd as mail in the wild: multipart/alternative with attachments, nested message/rfc822,
RFC 2047 encoded words in several charsets, folded headers, missing headers, group
addresses, 8-bit bodies, a missing close boundary, preamble/epilogue, multipart/digest,
RFC 2231 parameters (with continuations), bare-LF files, files whose names carry
Dovecot's ,S=/,W= sizes, flags in the :2, info, and internal dates (file mtimes)
spread over three years for SINCE/BEFORE. The same seed always gives the same bytes,
names and mtimes. Each message carries a unique token `corpus-N` somewhere (usually in
Message-ID) so that harness scripts can pair messages across servers.
"""

from __future__ import annotations

import argparse
import base64
import os
import quopri
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
    "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu meeting "
    "report invoice budget release server mailbox quarterly launch lunch holiday kernel "
    "compiler parser socket thread garden"
).split()
# Words the SEARCH checks look for; each lands in a known subset of messages.
SUBJECT_MARK = "zebra"
BODY_MARK = "quokka"

PEOPLE = [
    ("Alice Example", "alice@example.org"),
    ("Bob Builder", "bob@builder.test"),
    ('Carol "CJ" Jones', "carol@jones.test"),
    ("Dave, the Admin", "dave@admin.test"),
    ("", "eve@nowhere.test"),
    ("Frank Ünicode", "frank@umlaut.test"),
    ("Grace O'Hara", "grace@ohara.test"),
    ("Heidi", "heidi@lists.example.org"),
]

BASE_TIME = 1640995200  # 2022-01-01T00:00:00Z; internal dates spread over 3 years


@dataclass
class Message:
    body: bytes  # with LF line ends; converted to CRLF unless bare_lf
    flags: str = ""
    bare_lf: bool = False
    size_in_name: bool = False
    in_new: bool = False
    mtime: int = 0
    kind: str = ""
    extra: dict = field(default_factory=dict)


def qp(text: str, charset: str = "utf-8") -> bytes:
    return quopri.encodestring(text.encode(charset))


def b64(data: bytes) -> bytes:
    raw = base64.b64encode(data)
    return b"\n".join(raw[i : i + 76] for i in range(0, len(raw), 76)) + b"\n"


def ew_b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def ew_q(text: str, charset: str) -> str:
    out = []
    for byte in text.encode(charset):
        c = chr(byte)
        if c == " ":
            out.append("_")
        elif c.isalnum() and byte < 128:
            out.append(c)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?{''.join(out)}?="


def rfc2822_date(rng: random.Random, t: int) -> str:
    import time as _t

    offsets = ["+0000", "-0500", "+0100", "+0530", "-0800", "+0900", "+1245"]
    off = rng.choice(offsets)
    sign = 1 if off[0] == "+" else -1
    secs = sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)
    tm = _t.gmtime(t + secs)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return (
        f"{days[tm.tm_wday]}, {tm.tm_mday} {months[tm.tm_mon - 1]} {tm.tm_year} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {off}"
    )


def addr(person: tuple[str, str]) -> str:
    name, email = person
    if not name:
        return email
    if any(c in name for c in ',"\'') or not name.isascii():
        if not name.isascii():
            return f"{ew_q(name, 'utf-8')} <{email}>"
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{email}>'
    return f"{name} <{email}>"


def sentence(rng: random.Random, n: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def paragraph(rng: random.Random, lines: int = 4) -> str:
    return "\n".join(sentence(rng, rng.randint(6, 12)) for _ in range(lines))


class Builder:
    """Makes message i of a given kind."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        # How many messages of the current kind came before: picks the variant, so every
        # variant of every kind appears (i itself repeats modulo the number of kinds).
        self.v = 0

    def headers(self, i: int, t: int, subject: str | None, *, to: str | None = None, extra: str = "",
                mime: bool = True, ctype: str | None = None, date: bool = True, msgid: bool = True,
                sender: bool = True) -> str:
        rng = self.rng
        h = []
        if date:
            h.append(f"Date: {rfc2822_date(rng, t)}")
        if sender:
            h.append(f"From: {addr(rng.choice(PEOPLE))}")
        h.append(f"To: {to if to is not None else addr(rng.choice(PEOPLE))}")
        if rng.random() < 0.3:
            h.append(f"Cc: {addr(rng.choice(PEOPLE))}, {addr(rng.choice(PEOPLE))}")
        if rng.random() < 0.15:
            h.append(f"Reply-To: {addr(rng.choice(PEOPLE))}")
        if rng.random() < 0.1:
            h.append(f"Sender: {addr(rng.choice(PEOPLE))}")
        if subject is not None:
            h.append(f"Subject: {subject}")
        if msgid:
            h.append(f"Message-ID: <corpus-{i}@correo.test>")
        if i > 3 and rng.random() < 0.3:
            h.append(f"In-Reply-To: <corpus-{i - 1}@correo.test>")
            h.append(f"References: <corpus-{i - 3}@correo.test>\n <corpus-{i - 2}@correo.test>\n"
                     f"\t<corpus-{i - 1}@correo.test>")
        if rng.random() < 0.1:
            h.append(f"X-Priority: {rng.randint(1, 5)}")
        if mime:
            h.append("MIME-Version: 1.0")
        if ctype:
            h.append(ctype)
        if extra:
            h.append(extra.rstrip("\n"))
        return "\n".join(h) + "\n\n"

    def subject(self, i: int) -> str:
        rng = self.rng
        s = f"{sentence(rng, rng.randint(2, 6))} #{i}"
        if i % 7 == 0:
            s = f"{SUBJECT_MARK} {s}"
        return s

    def body_text(self, i: int) -> str:
        text = paragraph(self.rng, self.rng.randint(2, 8)) + f"\ntoken corpus-{i}\n"
        if i % 5 == 0:
            text += f"the {BODY_MARK} says hello\n"
        return text

    # --- kinds -----------------------------------------------------------------------

    def plain(self, i, t):
        return self.headers(i, t, self.subject(i), ctype="Content-Type: text/plain; charset=us-ascii") + \
            self.body_text(i)

    def plain_no_mime(self, i, t):
        return self.headers(i, t, self.subject(i), mime=False) + self.body_text(i)

    def utf8_8bit(self, i, t):
        body = self.body_text(i) + "Grüße aus Köln — naïve café, 日本語のテキスト, Ελληνικά.\n"
        return self.headers(i, t, self.subject(i), ctype="Content-Type: text/plain; charset=utf-8",
                            extra="Content-Transfer-Encoding: 8bit") + body

    def latin1_qp(self, i, t):
        text = self.body_text(i) + "Ça coûte très cher à Zürich, señor. " + "x" * 90 + "\n"
        hdr = self.headers(i, t, ew_q("Déjà vu à Zürich", "iso-8859-1") + f" #{i}",
                           ctype='Content-Type: text/plain; charset="ISO-8859-1"',
                           extra="Content-Transfer-Encoding: quoted-printable")
        return hdr.encode() + qp(text, "iso-8859-1")

    def encoded_subjects(self, i, t):
        rng = self.rng
        variants = [
            ew_b("Привет, мир", "koi8-r"),
            ew_b("こんにちは世界", "iso-2022-jp"),
            ew_q("Grüße & Küsse", "utf-8"),
            ew_b("你好世界", "gb2312"),
            ew_q("€uro price – “quoted”", "windows-1252"),
            ew_b("Ολοι μαζί", "iso-8859-7"),
            ew_q("part one ", "utf-8") + " " + ew_q("part two", "utf-8"),  # adjacent: space dropped
            "plain start " + ew_b("mittendrin ü", "utf-8") + " plain end",
            ew_b("🎉 emoji party", "utf-8"),
            "=?utf-8?q?broken_encoded_word",  # not a valid encoded word: stays literal
        ]
        subj = variants[self.v % len(variants)] + f" #{i}"
        fname = rng.choice(PEOPLE)
        frm = f"{ew_b('Jürgen Groß', 'iso-8859-1')} <juergen@gross.test>" if i % 2 else addr(fname)
        return self.headers(i, t, subj, ctype="Content-Type: text/plain; charset=utf-8",
                            extra=f"X-Original-From: {frm}") + self.body_text(i)

    def folded(self, i, t):
        rng = self.rng
        long_subject = " ".join(rng.choice(WORDS) for _ in range(25))
        folded_subject = long_subject[:40] + "\n " + long_subject[40:80] + "\n\t" + long_subject[80:] + f" #{i}"
        to = ",\n    ".join(addr(p) for p in PEOPLE[:6])
        extra = ("X-Long-Header: " + "\n ".join(sentence(rng, 6) for _ in range(4)) + "\n"
                 "Content-Type: text/plain;\n charset=\"utf-8\";\n format=flowed")
        return self.headers(i, t, folded_subject, to=to, extra=extra) + self.body_text(i)

    def missing_headers(self, i, t):
        which = self.v % 5
        if which == 0:  # no Date
            return self.headers(i, t, self.subject(i), date=False) + self.body_text(i)
        if which == 1:  # no Subject
            return self.headers(i, t, None) + self.body_text(i)
        if which == 2:  # no From
            return self.headers(i, t, self.subject(i), sender=False) + self.body_text(i)
        if which == 3:  # nothing but a Subject
            return f"Subject: lonely header #{i}\n\n" + self.body_text(i)
        # no header at all: the body starts after an empty line
        return "\n" + self.body_text(i)

    def groups(self, i, t):
        variants = [
            "undisclosed-recipients:;",
            "Friends: alice@example.org, Bob Builder <bob@builder.test>;",
            "Team: ;, carol@jones.test",
            f"{ew_q('Grüppe', 'utf-8')}: frank@umlaut.test;",
            "Outer: (comment) dave@admin.test (Dave), \"Quoted, Name\" <q@x.test>;",
        ]
        to = variants[self.v % len(variants)]
        extra = "Bcc: Hidden: grace@ohara.test;" if self.v % 2 else ""
        return self.headers(i, t, self.subject(i), to=to, extra=extra,
                            ctype="Content-Type: text/plain") + self.body_text(i)

    def odd_addresses(self, i, t):
        variants = [
            "<@route.test:alice@example.org>",
            "alice@example.org (Alice in a comment)",
            '"very.(),:;<>[]\\".unusual"@strange.test',
            "Name With No Address <>",
            "bare-local-part",
            "a@b.test, , c@d.test",
            "\"Last, First\" <last.first@example.org>, =?utf-8?q?Ren=C3=A9?= <rene@x.test>",
        ]
        return self.headers(i, t, self.subject(i), to=variants[self.v % len(variants)],
                            ctype="Content-Type: text/plain; charset=us-ascii") + self.body_text(i)

    def alternative(self, i, t):
        text = self.body_text(i)
        html = "<html><body><p>" + text.replace("\n", "<br>\n") + "</p></body></html>\n"
        b = f"alt-{i}-b"
        return (self.headers(i, t, self.subject(i), ctype=f'Content-Type: multipart/alternative; boundary="{b}"')
                + f"--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n{text}\n"
                + f"--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                + qp(html).decode() + f"\n--{b}--\n")

    def attachment_blob(self, size: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(size))

    def mixed_attachments(self, i, t):
        rng = self.rng
        outer, alt = f"mix-{i}-outer", f"mix-{i}-alt"
        text = self.body_text(i)
        size = rng.choice([200, 3000, 20000, 90000]) if i % 11 else 160000
        blob = self.attachment_blob(size)
        s = (self.headers(i, t, self.subject(i), ctype=f"Content-Type: multipart/mixed; boundary={outer}")
             + "This is a multi-part message in MIME format.\n"
             + f"--{outer}\nContent-Type: multipart/alternative; boundary=\"{alt}\"\n\n"
             + f"--{alt}\nContent-Type: text/plain; charset=UTF-8; format=flowed\n\n{text}\n"
             + f"--{alt}\nContent-Type: text/html; charset=UTF-8\n\n<p>{text}</p>\n--{alt}--\n\n"
             + f"--{outer}\nContent-Type: application/pdf; name=\"report-{i}.pdf\"\n"
             + f"Content-Disposition: attachment; filename=\"report-{i}.pdf\"; size={size}\n"
             + "Content-Transfer-Encoding: base64\nContent-ID: <part2.corpus-" + str(i) + ">\n"
             + "Content-Description: The quarterly report\nContent-Language: en, de\n"
             + f"Content-Location: http://example.test/r/{i}\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\n")
        s = s.encode() + b64(blob)
        s += (f"--{outer}\nContent-Type: image/png\nContent-Disposition: inline\n"
              "Content-Transfer-Encoding: base64\n\n").encode() + b64(self.attachment_blob(300))
        s += (f"--{outer}\nContent-Type: text/csv; charset=us-ascii; name=data.csv\n"
              "Content-Disposition: attachment;\n filename=data.csv\n\n"
              "a,b,c\n1,2,3\n").encode()
        s += f"--{outer}--\n".encode()
        return s

    def nested_rfc822(self, i, t):
        inner_b = f"inner-{i}"
        inner = (f"From: Inner Sender <inner@x.test>\nTo: {addr(PEOPLE[0])}\n"
                 f"Subject: {ew_q('Weitergeleitet: Grüße', 'utf-8')}\nDate: {rfc2822_date(self.rng, t - 86400)}\n"
                 f"Message-ID: <inner-{i}@correo.test>\nMIME-Version: 1.0\n"
                 f"Content-Type: multipart/mixed; boundary=\"{inner_b}\"\n\n"
                 f"--{inner_b}\nContent-Type: text/plain\n\ninner text {BODY_MARK if self.v % 2 else 'plain'}\n"
                 f"--{inner_b}\nContent-Type: message/rfc822\n\n"
                 f"Subject: innermost\nFrom: deep@x.test\n\ninnermost body\n"
                 f"--{inner_b}--\n")
        outer = f"fwd-{i}"
        return (self.headers(i, t, "Fwd: " + self.subject(i), ctype=f"Content-Type: multipart/mixed; boundary={outer}")
                + f"--{outer}\nContent-Type: text/plain\n\nSee the forwarded message.\n{self.body_text(i)}\n"
                + f"--{outer}\nContent-Type: message/rfc822; name=\"fwd.eml\"\n"
                + "Content-Disposition: attachment; filename=\"fwd.eml\"\n\n"
                + inner + f"\n--{outer}--\n")

    def rfc822_top(self, i, t):
        """A message whose top-level body is itself a message."""
        inner = f"From: x@y.test\nSubject: wrapped #{i}\n\nwrapped body corpus-{i}\n"
        return self.headers(i, t, self.subject(i), ctype="Content-Type: message/rfc822") + inner

    def no_close_boundary(self, i, t):
        b = f"open-{i}"
        return (self.headers(i, t, self.subject(i), ctype=f"Content-Type: multipart/mixed; boundary=\"{b}\"")
                + f"--{b}\nContent-Type: text/plain\n\nfirst part\n{self.body_text(i)}"
                + f"--{b}\nContent-Type: text/plain\n\nsecond part, never closed\n")

    def preamble_epilogue(self, i, t):
        b = f"pe-{i}"
        return (self.headers(i, t, self.subject(i), ctype=f"Content-Type: multipart/mixed; boundary=\"{b}\"")
                + "This is the preamble.  It is to be ignored.\nSecond preamble line.\n"
                + f"--{b}\n\nimplicitly typed text/plain part\n{self.body_text(i)}\n"
                + f"--{b}\nContent-type: text/plain; charset=us-ascii\n\nexplicit part\n"
                + f"--{b}--\nThis is the epilogue.  It is also to be ignored.\n")

    def digest(self, i, t):
        b = f"dig-{i}"
        parts = []
        for k in range(3):
            parts.append(f"--{b}\n\nFrom: member{k}@list.test\nSubject: digest item {k}\n\nitem {k} body {sentence(self.rng)}\n")
        parts.append(f"--{b}\nContent-Type: text/plain\n\nnot a message in a digest\n")
        return (self.headers(i, t, "Digest " + self.subject(i), ctype=f"Content-Type: multipart/digest; boundary=\"{b}\"")
                + "".join(parts) + f"--{b}--\n" + f"token corpus-{i}\n")

    def rfc2231(self, i, t):
        b = f"r2231-{i}"
        v = self.v % 3
        if v == 0:
            disp = "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates%20f%C3%BCr%202024.txt"
        elif v == 1:
            disp = ("Content-Disposition: attachment;\n filename*0*=iso-8859-1'de'Gr%FC%DFe%20aus;\n"
                    " filename*1*=%20K%F6ln;\n filename*2=\" und so weiter.txt\"")
        else:
            disp = ("Content-Disposition: attachment; filename*0=\"a very long file name that \";\n"
                    " filename*1=\"was split in two.txt\"")
        ct = "Content-Type: text/plain; charset*=us-ascii'en'utf-8; name*=utf-8''na%C3%AFve.txt"
        return (self.headers(i, t, self.subject(i), ctype=f"Content-Type: multipart/mixed; boundary={b}")
                + f"--{b}\nContent-Type: text/plain\n\n{self.body_text(i)}\n"
                + f"--{b}\n{ct}\n{disp}\n\nattached text\n--{b}--\n")

    def odd_content_types(self, i, t):
        variants = [
            "Content-Type: TEXT/PLAIN; CHARSET=UTF-8",
            "Content-Type: application/x-unknown-thing; foo=bar; baz=\"q u x\"",
            "Content-Type: text",  # no subtype
            "Content-Type: text/plain; charset=\"\"",
            "Content-Type: text/plain; charset=us-ascii (a comment); format=fixed",
            "Content-Type: ;",
            "Content-Type: text/calendar; method=REQUEST; charset=UTF-8",
            "Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode",
            "Content-Type: text/plain\nContent-Transfer-Encoding: BASE64",
        ]
        v = variants[self.v % len(variants)]
        body = self.body_text(i)
        if "BASE64" in v:
            return self.headers(i, t, self.subject(i), ctype=v).encode() + b64(body.encode())
        return self.headers(i, t, self.subject(i), ctype=v) + body

    def related_report(self, i, t):
        if self.v % 2:
            b = f"rel-{i}"
            return (self.headers(i, t, self.subject(i),
                                 ctype=f"Content-Type: multipart/related; type=\"text/html\"; boundary=\"{b}\"")
                    + f"--{b}\nContent-Type: text/html\n\n<img src=\"cid:img{i}\"> {self.body_text(i)}\n"
                    + f"--{b}\nContent-Type: image/gif\nContent-ID: <img{i}>\nContent-Transfer-Encoding: base64\n\n"
                    + "R0lGODlhAQABAAAAACw=\n" + f"--{b}--\n")
        b = f"rep-{i}"
        return (self.headers(i, t, "Undelivered Mail Returned to Sender",
                             ctype=f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{b}\"")
                + f"--{b}\nContent-Description: Notification\nContent-Type: text/plain\n\n{self.body_text(i)}\n"
                + f"--{b}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n"
                + "Final-Recipient: rfc822; nobody@x.test\nAction: failed\nStatus: 5.1.1\n\n"
                + f"--{b}\nContent-Type: text/rfc822-headers\n\nFrom: a@b.test\nSubject: original\n\n"
                + f"--{b}--\n")

    def edge_bodies(self, i, t):
        v = self.v % 4
        if v == 0:  # empty body
            return self.headers(i, t, f"empty body #{i}", ctype="Content-Type: text/plain").rstrip("\n") + "\n\n"
        if v == 1:  # header only, no empty line
            return f"Subject: headers only #{i}\nMessage-ID: <corpus-{i}@correo.test>\n"
        if v == 2:  # long line
            return self.headers(i, t, self.subject(i)) + ("long " * 300) + f"\ncorpus-{i}\n"
        # odd header syntax: no space after colon, mixed case names, a header with empty value
        return (f"sUbJeCt:odd header case #{i}\nFROM:bob@builder.test\nX-Empty:\nmessage-id: <corpus-{i}@correo.test>\n"
                f"Date: {rfc2822_date(self.rng, t)}\n\n{self.body_text(i)}")

    def big_plain(self, i, t):
        lines = [sentence(self.rng, 12) for _ in range(self.rng.randint(800, 3000))]
        return self.headers(i, t, f"big {self.subject(i)}", ctype="Content-Type: text/plain") + \
            "\n".join(lines) + f"\ncorpus-{i}\n"


KINDS = [
    "plain", "plain_no_mime", "utf8_8bit", "latin1_qp", "encoded_subjects", "folded", "missing_headers",
    "groups", "odd_addresses", "alternative", "mixed_attachments", "nested_rfc822", "rfc822_top",
    "no_close_boundary", "preamble_epilogue", "digest", "rfc2231", "odd_content_types", "related_report",
    "edge_bodies", "big_plain",
]
FLAG_CHOICES = ["", "", "", "S", "S", "FS", "RS", "S", "DS", "T", "S", "FRS"]


def build(count: int, seed: int) -> list[Message]:
    rng = random.Random(seed)
    b = Builder(rng)
    out: list[Message] = []
    for i in range(1, count + 1):
        kind = KINDS[(i - 1) % len(KINDS)]
        t = BASE_TIME + (i * 3 * 365 * 86400) // count + rng.randint(0, 3600)
        b.v = (i - 1) // len(KINDS)
        raw = getattr(b, kind)(i, t)
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        m = Message(body=data, kind=kind, mtime=t)
        m.flags = rng.choice(FLAG_CHOICES)
        m.bare_lf = (i % 8 == 4)  # 8, 5, 13 are prime to len(KINDS): every kind gets each
        m.size_in_name = (i % 5 == 1)
        m.in_new = (i % 13 == 0)
        if m.in_new:
            m.flags = ""
        out.append(m)
    return out


def write_maildir(folder: Path, messages: list[Message], name_base: int = 1700000000, host: str = "corpus") -> None:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for n, m in enumerate(messages, 1):
        data = m.body if m.bare_lf else m.body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if m.bare_lf:
            data = data.replace(b"\r\n", b"\n")
        # Time-ordered unique names: readers that sort by name and by mtime agree.
        base = f"{name_base + n}.M{n:06d}P4242.{host}"
        if m.size_in_name:
            virtual = len(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            base += f",S={len(data)},W={virtual}"
        if m.in_new:
            path = folder / "new" / base
        else:
            path = folder / "cur" / f"{base}:2,{''.join(sorted(m.flags))}"
        path.write_bytes(data)
        os.utime(path, (m.mtime, m.mtime))


def set_password(storage: Path, user: str, password: str) -> None:
    pw = storage / "passwords.txt"
    lines = pw.read_text().splitlines() if pw.exists() else []
    lines = [ln for ln in lines if not ln.startswith(user + ":")]
    lines.append(f"{user}:{password}")
    pw.write_text("\n".join(lines) + "\n")


def write_corpus(storage: Path, user: str, password: str, count: int, seed: int) -> list[Message]:
    storage.mkdir(parents=True, exist_ok=True)
    set_password(storage, user, password)
    home = storage / user
    msgs = build(count, seed)
    write_maildir(home, msgs)
    rng = random.Random(seed + 1)
    archive = build(12, seed + 100)
    for m in archive:
        m.body = m.body.replace(b"corpus-", b"archive-")
    write_maildir(home / ".Archive", archive, name_base=1600000000)
    lists = build(5, seed + 200)
    for m in lists:
        m.body = m.body.replace(b"corpus-", b"lists-")
    write_maildir(home / ".Lists.Swift", lists, name_base=1650000000)
    (home / ".Lists.Swift" / "maildirfolder").touch()
    (home / ".Archive" / "maildirfolder").touch()
    for sub in (".Sent", ".Drafts", ".Trash"):
        for d in ("cur", "new", "tmp"):
            (home / sub / d).mkdir(parents=True, exist_ok=True)
        (home / sub / "maildirfolder").touch()
    del rng
    return msgs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("storage")
    ap.add_argument("--user", default="alice@example.org")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    msgs = write_corpus(Path(a.storage), a.user, a.password, a.count, a.seed)
    kinds = sorted({m.kind for m in msgs})
    total = sum(len(m.body) for m in msgs)
    print(f"corpus: {len(msgs)} messages ({len(kinds)} kinds, {total} bytes) for {a.user} in {a.storage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
