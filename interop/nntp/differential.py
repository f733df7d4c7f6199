#!/usr/bin/env python3
"""Differential test: correo's NNTP server against INN holding the same articles.

    differential.py CORREO_BINARY [--count N] [--keep]

Starts a private INN (interop/nntp/inn.sh) and `correo serve` on loopback high ports, each with the group
test.diff; feeds the same N articles (a generated corpus: plain, MIME multipart, long folded headers,
dot-leading lines, UTF-8 bodies, follow-ups with References) to both with IHAVE (nntplib; correo is run with
--nntp-peer 127.0.0.1), so article numbers and Message-IDs line up; then sends both the same reader commands
(LIST ACTIVE/NEWSGROUPS/OVERVIEW.FMT, GROUP, LISTGROUP, OVER, HDR, ARTICLE/HEAD/BODY/STAT by number and
by id, NEXT/LAST, NEWNEWS, error cases) over a raw socket and compares the answers.

Each difference is printed with its class: `identical`, `allowed` (the RFC clause that lets servers
differ), or `BUG` (exit status 1). Bounded: every socket read has a timeout, the corpus is N articles, and
the whole run stops after 150 s.
"""
import argparse
import email.utils
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib  # noqa: E402  (deprecated in 3.11, removed in 3.13; Debian 12 ships 3.11)

import servers  # noqa: E402  (interop/nntp/servers.py, beside this file)
from servers import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GROUP = "test.diff"
EMPTY = "test.empty"
FEED = "test.feed"  # where the refused (or, by INN, accepted) IHAVE cases go


# ---------------------------------------------------------------- corpus


def corpus(count):
    """N articles as (message_id, raw bytes with CRLF), deterministic apart from the Date."""
    articles = []
    now = time.time()
    for i in range(1, count + 1):
        mid = f"<diff.{i}.{int(now)}@origin.example.test>"
        date = email.utils.formatdate(now - (count - i) * 60, usegmt=True)
        kind = i % 5
        headers = [
            "Path: origin.example.test!not-for-mail",
            f"From: Poster {i} <poster{i}@example.test>",
            f"Newsgroups: {GROUP}",
            f"Message-ID: {mid}",
            f"Date: {date}",
        ]
        if kind == 0:  # plain
            headers.append(f"Subject: Plain article {i}")
            body = [f"Plain body line {n} of article {i}." for n in range(1, 4 + i % 7)]
        elif kind == 1:  # MIME multipart
            headers += [
                f"Subject: MIME article {i}",
                "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="b-' + str(i) + '"',
            ]
            body = [
                "This is a multi-part message in MIME format.",
                f"--b-{i}",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                "Gr=C3=BC=C3=9Fe aus dem Test.",
                f"--b-{i}",
                "Content-Type: application/octet-stream",
                "Content-Transfer-Encoding: base64",
                "",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                f"--b-{i}--",
            ]
        elif kind == 2:  # long, folded headers and a follow-up
            parent = articles[-1][0] if articles else "<root@origin.example.test>"
            headers += [
                f"Subject: Re: A rather long subject line that goes on and on for article {i}, so long that",
                "\tit has to be folded onto a second line by the poster",
                f"References: <r1@origin.example.test> <r2@origin.example.test>\r\n <r3@origin.example.test> {parent}",
                "X-Long: " + " ".join(f"word{n}" for n in range(60)),
            ]
            body = ["> quoted line", "", "A reply."]
        elif kind == 3:  # dot-leading lines (dot-stuffing on the wire)
            headers.append(f"Subject: Dots {i}")
            body = [".", "..", ".leading dot", "middle", "... three"]
        else:  # 8-bit UTF-8 body, UTF-8 encoded-word subject
            headers += [
                f"Subject: =?UTF-8?B?{__import__('base64').b64encode(f'Ünïcödé {i}'.encode()).decode()}?=",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
            ]
            body = [f"Zeile {i}: äöü ß € 漢字", "", "Ende."]
        raw = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(body) + "\r\n"
        articles.append((mid, raw.encode("utf-8")))
    return articles


def feed(port, articles):
    s = nntplib.NNTP("127.0.0.1", port, readermode=False, timeout=30)
    try:
        for mid, raw in articles:
            s.ihave(mid, raw.split(b"\r\n")[:-1])
    finally:
        s.quit()


# ---------------------------------------------------------------- raw client


class Raw:
    """A minimal NNTP client that keeps answers as they are on the wire (status line, data lines)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.file = self.sock.makefile("rb")
        self.greeting = self.line()
        self.command("MODE READER")

    def line(self):
        data = self.file.readline(1 << 20)
        if not data:
            raise RuntimeError("connection closed")
        return data.rstrip(b"\r\n").decode("utf-8", "surrogateescape")

    def command(self, text, multiline_codes=()):
        self.sock.sendall(text.encode() + b"\r\n")
        status = self.line()
        lines = None
        if status[:3] in multiline_codes:
            lines = []
            for _ in range(1_000_000):
                line = self.line()
                if line == ".":
                    break
                lines.append(line[1:] if line.startswith("..") else line)
        return status, lines

    def close(self):
        try:
            self.command("QUIT")
        except (OSError, RuntimeError):
            pass
        self.sock.close()


MULTI = ("215", "211", "224", "225", "220", "221", "222", "230", "231", "101")


# ---------------------------------------------------------------- comparison

ALLOWED = {
    "path": "RFC 5537 §3.2.1: each agent prepends its own path identity to Path",
    "xref": "RFC 5536 §3.2.14: Xref is local to the serving site (names the host and its numbers); "
            "a server need not add it",
    "bytes": "RFC 3977 §8.4.2: :bytes is the article's size 'in octets', servers count it differently "
             "(with or without CRLF, with their own added headers); it need not be exact",
    "lines": "RFC 3977 §8.4.2: :lines is the body's line count; servers may differ in the counting",
    "text": "RFC 3977 §3.2: the text after a response code is for humans and implementation-specific",
    "pseudo": "RFC 3977 §7.6.3: which groups a server has is local; INN's control, control.cancel and "
              "junk are its own pseudo-groups",
    "overview-fmt": "RFC 3977 §8.4: fields after the seven mandatory ones (here Xref:full) are optional",
    "stat-id-number": "RFC 3977 §6.2.1.2: by message-id the number is 0, or the article's number in the "
                      "selected group",
    "active-digits": "RFC 3977 §7.6.3: the high and low water marks are numbers; INN writes them with "
                     "leading zeros (its active file's fixed width), correo without",
    "bytes-added": "RFC 3977 §8.4.2 (:bytes counts the article as stored) with RFC 5537 §3.2.1/RFC 5536 "
                   "§3.2.14: each server counts its own Path entry and INN its Xref line",
    "empty-group": "RFC 3977 §6.1.1.2: for an empty group the low and high water marks may be any "
                   "values with high = low - 1 (or both 0)",
    "ihave-id": "RFC 3977 §6.3.2 does not say whether the article's Message-ID must be IHAVE's argument: "
                "INN stores it under its own id (235), correo refuses it (437: the feeder offered one article "
                "and sent another)",
    "over-msgid": "RFC 3977 §8.3.2: OVER <message-id> is optional (capability OVER MSGID); correo "
                  "offers it, INN does not (503)",
    "legacy-fmt": "RFC 3977 §8.4.2: 'Bytes:' and 'Lines:' in LIST OVERVIEW.FMT are the legacy names of "
                  ":bytes and :lines, which a server may still use",
    "injected": "RFC 5537 §3.6: a serving agent may add headers (Xref) to what it stores",
    "hdr-by-id": "RFC 3977 §8.5.2: HDR <id> answers 0 or the number in the selected group",
}


class Report:
    def __init__(self):
        self.identical = 0
        self.allowed = []
        self.bugs = []

    def same(self, what, inn, correo):
        if inn == correo:
            self.identical += 1
            return True
        return False

    def check(self, what, inn, correo, allowed=None):
        if self.same(what, inn, correo):
            return
        if allowed:
            self.allowed.append((what, allowed, inn, correo))
        else:
            self.bugs.append((what, inn, correo))


def code(status):
    return status[:3]


def fields(raw):
    """Subject, From, Date, Message-ID, References of a corpus article, unfolded as overview has them."""
    head = raw.decode("utf-8").split("\r\n\r\n", 1)[0]
    head = re.sub(r"\r\n[ \t]", lambda m: m.group(0)[2:], head)
    values = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        values[name.lower()] = value.strip().replace("\t", " ")
    return [values.get(k, "") for k in ("subject", "from", "date", "message-id", "references")]


def split_article(lines):
    i = lines.index("") if "" in lines else len(lines)
    return lines[:i], lines[i + 1:]


def unfold(headers):
    fields = []
    for h in headers:
        if h[:1] in (" ", "\t") and fields:
            fields[-1] += "\r\n" + h
        else:
            fields.append(h)
    return fields


def normalise_headers(fields):
    """Drops what the RFCs let servers differ in: Xref (local), and their own Path entry."""
    out = []
    notes = set()
    for f in fields:
        name = f.split(":", 1)[0].lower()
        if name == "xref":
            notes.add("xref")
            continue
        if name == "path":
            value = f.split(":", 1)[1].strip()
            # the first entry is the server's own; the rest is what the feeder sent
            rest = value.split("!", 1)[1] if "!" in value else value
            out.append("Path: " + rest)
            notes.add("path")
            continue
        out.append(f)
    return out, notes


def compare_article(report, what, inn, correo, part):
    """part: ARTICLE, HEAD or BODY; inn/correo are (status, lines)."""
    (si, li), (sc, lc) = inn, correo
    report.check(f"{what} code", code(si), code(sc))
    # status: code number <id>
    fi, fc = si.split(), sc.split()
    if len(fi) >= 3 and len(fc) >= 3:
        report.check(f"{what} message-id", fi[2], fc[2])
        allowed = ALLOWED["stat-id-number"] if "<" in what else None
        report.check(f"{what} number", fi[1], fc[1], allowed)
    if li is None or lc is None:
        report.check(f"{what} data", li, lc)
        return
    if part == "BODY":
        report.check(f"{what} body", li, lc)
        return
    hi, bi = split_article(li) if part == "ARTICLE" else (li, None)
    hc, bc = split_article(lc) if part == "ARTICLE" else (lc, None)
    ni, notes_i = normalise_headers(unfold(hi))
    nc, notes_c = normalise_headers(unfold(hc))
    report.check(f"{what} headers (Path's first entry and Xref aside)", ni, nc)
    raw_i, raw_c = unfold(hi), unfold(hc)
    if raw_i != raw_c:
        path_i = [f for f in raw_i if f.lower().startswith("path:")]
        path_c = [f for f in raw_c if f.lower().startswith("path:")]
        if path_i != path_c:
            report.check(f"{what} Path", path_i, path_c, ALLOWED["path"])
        xref_i = [f for f in raw_i if f.lower().startswith("xref:")]
        xref_c = [f for f in raw_c if f.lower().startswith("xref:")]
        if xref_i != xref_c:
            report.check(f"{what} Xref", xref_i, xref_c, ALLOWED["xref"])
    if part == "ARTICLE":
        report.check(f"{what} body", bi, bc)


def compare_overview(report, what, inn, correo, fmt_i, fmt_c, sizes=None):
    (si, li), (sc, lc) = inn, correo
    report.check(f"{what} code", code(si), code(sc))
    if li is None or lc is None:
        report.check(f"{what} data", li, lc)
        return
    report.check(f"{what} line count", len(li), len(lc))
    for a, b in zip(li, lc):
        fa, fb = a.split("\t"), b.split("\t")
        number = fa[0]
        # number, Subject, From, Date, Message-ID, References must agree exactly
        report.check(f"{what} #{number} fields 0-5", fa[:6], fb[:6])
        if fa[6:7] != fb[6:7] and sizes:
            # each server's :bytes against the size of the article it sends (CRLF counted, unstuffed)
            ok_i, ok_c = sizes[0].get(number) == int(fa[6]), sizes[1].get(number) == int(fb[6])
            if not ok_i:
                report.check(f"{what} #{number} INN's :bytes against its ARTICLE's size", fa[6],
                             sizes[0].get(number), ALLOWED["bytes"])
            report.check(f"{what} #{number} :bytes = correo's ARTICLE size", (number, int(fb[6])),
                         (number, sizes[1].get(number)))
            if ok_c:
                report.check(f"{what} #{number} :bytes", fa[6:7], fb[6:7], ALLOWED["bytes-added"])
        else:
            report.check(f"{what} #{number} :bytes", fa[6:7], fb[6:7], ALLOWED["bytes"])
        report.check(f"{what} #{number} :lines", fa[7:8], fb[7:8], ALLOWED["lines"])
        if fa[8:] != fb[8:]:
            report.check(f"{what} #{number} optional fields", fa[8:], fb[8:], ALLOWED["overview-fmt"])


def run_checks(report, inn_port, correo_port, articles):
    a, b = Raw(inn_port), Raw(correo_port)
    try:
        def both(cmd):
            multi = MULTI if not cmd.startswith("GROUP") else ()  # 211 is multi-line only after LISTGROUP
            return a.command(cmd, multi), b.command(cmd, multi)

        def plain(cmd, allowed_text=True):
            (si, li), (sc, lc) = both(cmd)
            report.check(f"{cmd}: code", code(si), code(sc))
            report.check(f"{cmd}: data", li, lc)
            return si, sc

        def active(cmd):
            (si, li), (sc, lc) = both(cmd)
            # test.feed holds what INN took and correo refused in compare_refusals: compared there
            li = [x for x in li or [] if x.split()[0] != FEED] if li is not None else None
            lc = [x for x in lc or [] if x.split()[0] != FEED] if lc is not None else None
            as_numbers = lambda ls: [(x.split()[0], int(x.split()[1]), int(x.split()[2]), x.split()[3])
                                     for x in (ls or [])]
            if li != lc and as_numbers(li) == as_numbers(lc):
                report.check(f"{cmd}: digits", li, lc, ALLOWED["active-digits"])
                li = lc
            return (si, as_numbers(li)), (sc, as_numbers(lc))

        def plain_active(cmd):
            (si, li), (sc, lc) = active(cmd)
            report.check(f"{cmd}: code", code(si), code(sc))
            report.check(f"{cmd}: data", li, lc)

        (_, caps_i), (_, caps_c) = both("CAPABILITIES")
        for cap in ("VERSION 2", "READER", "OVER", "HDR", "NEWNEWS"):
            has = lambda caps: any(c.upper() == cap or c.upper().startswith(cap + " ") for c in caps or [])
            report.check(f"CAPABILITIES has {cap}", has(caps_i), has(caps_c))

        # LIST ACTIVE: whole list (INN's pseudo-groups), then with a wildmat
        (si, li), (sc, lc) = active("LIST ACTIVE")
        report.check("LIST ACTIVE: code", code(si), code(sc))
        if li != lc:
            extra = sorted(set(li or []) - set(lc or []))
            if all(x[0] in ("control", "control.cancel", "junk") for x in extra) and \
                    not set(lc or []) - set(li or []):
                report.check("LIST ACTIVE: extra groups", extra, [], ALLOWED["pseudo"])
            else:
                report.check("LIST ACTIVE: data", li, lc)
        else:
            report.identical += 1
        plain_active(f"LIST ACTIVE {GROUP}")
        plain_active("LIST ACTIVE test.*")
        plain_active("LIST ACTIVE nothing.here")
        since = time.strftime("%Y%m%d %H%M%S", time.gmtime(time.time() - 3600))
        (si, li), (sc, lc) = both(f"NEWGROUPS {since} GMT")
        report.check("NEWGROUPS: code", code(si), code(sc))
        report.check("NEWGROUPS: groups (test.feed aside)", [x for x in li or [] if not x.startswith(FEED)],
                     [x for x in lc or [] if not x.startswith(FEED)])
        plain("NEWGROUPS 20991231 000000 GMT")
        (si, li), (sc, lc) = both("LIST NEWSGROUPS test.*")
        report.check("LIST NEWSGROUPS test.*: code", code(si), code(sc))
        norm = lambda ls: [re.sub(r"\s+", " ", x) for x in (ls or [])]  # tab vs space is free (RFC 3977 §7.6.6)
        report.check("LIST NEWSGROUPS test.*: data", norm(li), norm(lc))

        (si, fmt_i), (sc, fmt_c) = both("LIST OVERVIEW.FMT")
        report.check("LIST OVERVIEW.FMT: code", code(si), code(sc))
        legacy = {"bytes:": ":bytes", "lines:": ":lines"}
        seven_i = [x.lower() for x in fmt_i[:7]]
        seven_c = [x.lower() for x in fmt_c[:7]]
        if seven_i != seven_c and [legacy.get(x, x) for x in seven_i] == [legacy.get(x, x) for x in seven_c]:
            report.check("LIST OVERVIEW.FMT: Bytes:/Lines:", fmt_i[5:7], fmt_c[5:7], ALLOWED["legacy-fmt"])
        else:
            report.check("LIST OVERVIEW.FMT: mandatory seven", seven_i, seven_c)
        if fmt_i[7:] != fmt_c[7:]:
            report.check("LIST OVERVIEW.FMT: optional", fmt_i[7:], fmt_c[7:], ALLOWED["overview-fmt"])

        # GROUP, LISTGROUP
        (si, _), (sc, _) = both(f"GROUP {GROUP}")
        report.check(f"GROUP {GROUP}", si.split()[:5], sc.split()[:5])
        (si, _), (sc, _) = both("GROUP no.such.group")
        report.check("GROUP no.such.group: code", code(si), code(sc))
        (si, li), (sc, lc) = both(f"LISTGROUP {GROUP}")
        report.check(f"LISTGROUP {GROUP}: status", si.split()[:5], sc.split()[:5])
        report.check(f"LISTGROUP {GROUP}: numbers", li, lc)
        n = len(articles)
        (si, li), (sc, lc) = both(f"LISTGROUP {GROUP} 3-{max(3, n // 2)}")
        report.check("LISTGROUP range", (si.split()[:5], li), (sc.split()[:5], lc))

        # OVER / XOVER
        both(f"GROUP {GROUP}")
        sizes = ({}, {})
        for i in range(1, n + 1):
            for side, conn in enumerate((a, b)):
                status, lines = conn.command(f"ARTICLE {i}", MULTI)
                if lines is not None:
                    sizes[side][str(i)] = sum(len(x.encode("utf-8", "surrogateescape")) + 2 for x in lines)
        compare_overview(report, f"OVER 1-{n}", *both(f"OVER 1-{n}"), fmt_i, fmt_c, sizes)
        compare_overview(report, "XOVER 2-5", *both("XOVER 2-5"), fmt_i, fmt_c)
        compare_overview(report, f"OVER {n + 100}-", *both(f"OVER {n + 100}-"), fmt_i, fmt_c)

        # HDR / XHDR
        for field in ("Subject", "Message-ID", "From", "References", ":lines", "X-Long", "Content-Type",
                      "Newsgroups"):
            (si, li), (sc, lc) = both(f"HDR {field} 1-{n}")
            report.check(f"HDR {field}: code", code(si), code(sc))
            report.check(f"HDR {field}: data", li, lc)
        (si, li), (sc, lc) = both(f"HDR Subject {articles[0][0]}")
        report.check("HDR Subject <id>: code", code(si), code(sc))
        if li != lc:
            vi = [x.split(" ", 1)[1:] for x in li or []]
            vc = [x.split(" ", 1)[1:] for x in lc or []]
            report.check("HDR Subject <id>: values", vi, vc)
            report.check("HDR Subject <id>: number", li, lc, ALLOWED["hdr-by-id"])
        (si, li), (sc, lc) = both(f"HDR :bytes 1-{n}")
        report.check("HDR :bytes: code", code(si), code(sc))
        if li != lc:
            report.check("HDR :bytes: data", li, lc, ALLOWED["bytes"])
        (si, li), (sc, lc) = both(f"OVER {articles[1][0]}")
        over_msgid = lambda caps: any(c.upper().split() == ["OVER", "MSGID"] for c in caps or [])
        if code(si) == "503" and code(sc) == "224" and not over_msgid(caps_i) and over_msgid(caps_c):
            report.check("OVER <id>: code", si, sc, ALLOWED["over-msgid"])
            report.check("OVER <id>: correo's line", [x.split("\t")[1:6] for x in lc],
                         [fields(articles[1][1])])
        else:
            report.check("OVER <id>: code", code(si), code(sc))
        (si, li), (sc, lc) = both(f"XHDR Subject 1-{n}")
        report.check("XHDR Subject: data", li, lc)

        # ARTICLE/HEAD/BODY/STAT by number and by id, for every article
        for i, (mid, _) in enumerate(articles, start=1):
            for verb in ("ARTICLE", "HEAD", "BODY"):
                compare_article(report, f"{verb} {i}", *both(f"{verb} {i}"), verb)
                compare_article(report, f"{verb} {mid}", *both(f"{verb} {mid}"), verb)
            (si, _), (sc, _) = both(f"STAT {i}")
            report.check(f"STAT {i}", si.split()[:3], sc.split()[:3])
            (si, _), (sc, _) = both(f"STAT {mid}")
            report.check(f"STAT {mid}: code, id", [si.split()[0], si.split()[2]], [sc.split()[0], sc.split()[2]])
            if si.split()[1] != sc.split()[1]:
                report.check(f"STAT {mid}: number", si.split()[1], sc.split()[1], ALLOWED["stat-id-number"])

        # an empty group (RFC 3977 §6.1.1.2: count 0, and high = low - 1 or low = high = 0 are both allowed)
        (si, _), (sc, _) = both(f"GROUP {EMPTY}")
        report.check(f"GROUP {EMPTY}: code, count", si.split()[:2], sc.split()[:2])
        if si.split()[2:5] != sc.split()[2:5]:
            report.check(f"GROUP {EMPTY}: low/high", si, sc, ALLOWED["empty-group"])
        for cmd in (f"LISTGROUP {EMPTY}", "ARTICLE", "NEXT", "OVER", "HDR Subject"):
            (si, li), (sc, lc) = both(cmd)
            report.check(f"{cmd} (empty group): code, data", (code(si), li), (code(sc), lc))

        # no group selected yet (fresh connections): 412 everywhere
        a2, b2 = Raw(inn_port), Raw(correo_port)
        try:
            for cmd in ("ARTICLE 1", "HEAD", "NEXT", "LAST", "LISTGROUP", "OVER 1-2", "HDR Subject 1-2", "STAT"):
                si, sc = a2.command(cmd, MULTI)[0], b2.command(cmd, MULTI)[0]
                report.check(f"{cmd} without a group: code", code(si), code(sc))
        finally:
            a2.close()
            b2.close()

        # missing articles, NEXT/LAST
        for cmd in ("LISTGROUP no.such.group", "GROUP", "ARTICLE 0", "OVER 5-2", "HDR", "LIST NOSUCHLIST",
                    f"ARTICLE {n + 50}", "ARTICLE <missing@nowhere.example>", "STAT <missing@nowhere.example>",
                    f"HEAD {n + 50}", f"BODY {n + 50}"):
            (si, _), (sc, _) = both(cmd)
            report.check(f"{cmd}: code", code(si), code(sc))
        both(f"GROUP {GROUP}")
        for cmd in ("STAT 1", "NEXT", "NEXT", "LAST", "LAST"):
            (si, _), (sc, _) = both(cmd)
            report.check(f"{cmd} (walk)", si.split()[:3], sc.split()[:3])

        # NEWNEWS: sets of ids (order is the server's, RFC 3977 §7.4)
        since = time.strftime("%Y%m%d %H%M%S", time.gmtime(time.time() - 3600))
        (si, li), (sc, lc) = both(f"NEWNEWS {GROUP} {since} GMT")
        report.check("NEWNEWS: code", code(si), code(sc))
        report.check("NEWNEWS: ids (as sets)", sorted(li or []), sorted(lc or []))
        (si, li), (sc, lc) = both("NEWNEWS nothing.* 20000101 000000 GMT")
        report.check("NEWNEWS nothing.*", (code(si), li), (code(sc), lc))
    finally:
        a.close()
        b.close()


def ihave(port, mid, raw):
    """IHAVE over a raw socket: the first answer, and the second if the server asked for the article."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(f"IHAVE {mid}\r\n".encode())
        first = f.readline().decode().strip()
        if not first.startswith("335"):
            return first[:3], None
        body = b"\r\n".join(b"." + x if x.startswith(b".") else x for x in raw.split(b"\r\n")[:-1])
        sock.sendall(body + b"\r\n.\r\n")
        return first[:3], f.readline().decode().strip()[:3]


def compare_refusals(report, inn_port, correo_port, articles):
    """IHAVE answers for what a feeder gets wrong: a duplicate, an unknown group, no Subject."""
    stamp = int(time.time())
    date = email.utils.formatdate(usegmt=True)
    cases = {
        "duplicate": (articles[0][0], articles[0][1]),
        "unknown group": (f"<nogroup.{stamp}@origin.example.test>",
                          f"Path: x!y\r\nFrom: a@example.test\r\nNewsgroups: no.such.group\r\nSubject: s\r\n"
                          f"Message-ID: <nogroup.{stamp}@origin.example.test>\r\nDate: {date}\r\n\r\nb\r\n".encode()),
        "id differs from IHAVE's": (f"<asked.{stamp}@origin.example.test>",
                                    f"Path: x!y\r\nFrom: a@example.test\r\nNewsgroups: {FEED}\r\nSubject: s\r\n"
                                    f"Message-ID: <other.{stamp}@origin.example.test>\r\nDate: {date}\r\n\r\n"
                                    f"b\r\n".encode()),
    }
    for name, (mid, raw) in cases.items():
        inn, correo = ihave(inn_port, mid, raw), ihave(correo_port, mid, raw)
        if name.startswith("id differs") and inn == ("335", "235") and correo == ("335", "437"):
            report.check(f"IHAVE {name}", inn, correo, ALLOWED["ihave-id"])
        else:
            report.check(f"IHAVE {name}", inn, correo)


# ---------------------------------------------------------------- servers


def start_correo(binary, root):
    return servers.start_correo(binary, os.path.join(root, "correo"), (GROUP, EMPTY, FEED),
                                os.path.join(root, "correo.log"))


def stop_on_sigterm():
    """SIGTERM ends the run through the `finally` blocks, so INN and correo are stopped too."""
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("correo")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    stop_on_sigterm()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("differential: over 150 s")))
    signal.alarm(150)
    started = time.monotonic()
    root = tempfile.mkdtemp(prefix="nntp-diff-")
    os.chmod(root, 0o755)
    inn_dir = os.path.join(root, "inn")
    inn_port = free_port()
    correo = None
    try:
        subprocess.run(["bash", os.path.join(HERE, "inn.sh"), "start", inn_dir, str(inn_port), GROUP, EMPTY, FEED],
                       check=True, timeout=60)
        correo, correo_port = start_correo(os.path.abspath(args.correo), root)
        articles = corpus(args.count)
        feed(inn_port, articles)
        feed(correo_port, articles)
        report = Report()
        compare_refusals(report, inn_port, correo_port, articles)
        run_checks(report, inn_port, correo_port, articles)
    finally:
        if correo:
            correo.terminate()
            try:
                correo.wait(10)
            except subprocess.TimeoutExpired:
                correo.kill()
        subprocess.run(["bash", os.path.join(HERE, "inn.sh"), "stop", inn_dir], timeout=30)
        if not args.keep:
            subprocess.run(["rm", "-rf", root])
        else:
            print(f"kept {root}")

    grouped = {}
    for what, why, inn, cor in report.allowed:
        grouped.setdefault(why, []).append((what, inn, cor))
    print(f"identical: {report.identical} comparisons")
    for why, items in grouped.items():
        print(f"allowed ({len(items)}): {why}")
        for what, inn, cor in items[:3]:
            print(f"    {what}: INN {inn!r} / correo {cor!r}")
        if len(items) > 3:
            print(f"    ... and {len(items) - 3} more of the same kind")
    for what, inn, cor in report.bugs:
        print(f"BUG: {what}:\n    INN    {inn!r}\n    correo {cor!r}")
    print(f"differential: {args.count} articles, {report.identical} identical, {len(report.allowed)} allowed, "
          f"{len(report.bugs)} unexplained, {time.monotonic() - started:.1f} s")
    return 1 if report.bugs else 0


if __name__ == "__main__":
    sys.exit(main())
