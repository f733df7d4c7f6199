#!/usr/bin/env python3
"""Differential IMAP test: a server under test against a reference (Dovecot), same Maildir.

    differential.py HOST PORT USER PASS --reference-port P [--reference-host H] [--tls]
                    [--mailbox NAME]... [--max-diffs N] [--quiet]

Both servers must serve copies of the SAME storage (corpus.py writes one; run-all.sh
makes the copies). For every message in every mailbox the script fetches, from both:
ENVELOPE, BODYSTRUCTURE, BODY, RFC822.SIZE, FLAGS, INTERNALDATE, BODY[], BODY[HEADER],
BODY[TEXT], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)], a partial
BODY[]<0.100>, and for every MIME part (taken from the reference's BODYSTRUCTURE)
BODY[n], BODY[n.MIME] and, for message/rfc822 parts, BODY[n.HEADER] and BODY[n.TEXT].
It then runs a set of SEARCH and UID SEARCH queries, compares LIST and STATUS, and
compares everything as parsed structures, after the normalisations below.

Messages are paired by the bytes of BODY[] (CRLF-normalised), not by sequence number,
so a server may number them differently; the order is still checked (see the table).

Intended differences (ignored, with reasons):

| what                                   | normalisation                       | why |
| -------------------------------------- | ----------------------------------- | --- |
| \\Recent flag, RECENT counts            | dropped                             | session-dependent: only one session sees a message as recent (RFC 3501 2.3.2) |
| order of FETCH items, quoted vs literal | parsed into dicts / bytes           | wire syntax, not meaning (RFC 3501 4, 7.4.2) |
| case of BODYSTRUCTURE type, subtype, encoding, parameter and disposition names | lower-cased | case-insensitive by RFC 2045 5.1 / RFC 3501 7.4.2 |
| trailing NIL extension fields of BODYSTRUCTURE | trimmed                       | an omitted trailing extension field means NIL (RFC 3501 7.4.2) |
| INTERNALDATE's time zone rendering     | compared as an instant (UTC)        | the same instant may be shown in any zone |
| whitespace inside ENVELOPE strings     | runs of SP/HTAB/CRLF -> one SP      | unfolding: RFC 5322 2.2.3 lets a server remove the CRLF only or the CRLF+WSP |
| Dovecot's placeholders for broken addresses (host ".MISSING-HOST-NAME.", "MISSING_DOMAIN", mailbox "MISSING_MAILBOX") | -> NIL | Dovecot/UW-imapd convention, not required by RFC 3501 |
| LIST \\HasChildren \\HasNoChildren \\Marked \\Unmarked | dropped                  | optional (RFC 3348/3501); which one a server gives is a choice |
| hierarchy delimiter                    | names split on each server's own    | "." (Maildir++) and "/" are both valid |
| UID values and UIDVALIDITY             | UID-set queries are made per server from its own UIDs; results mapped back to messages | values are the server's to assign (RFC 3501 2.3.1.1) |
| UIDNEXT in STATUS                       | dropped                             | follows the server's UID assignment |
| sequence order of messages             | reported as a warning, not a failure | Maildir has no order; servers pick one (name, mtime) |
| Dovecot's placeholder member (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") for an empty list element (`To: a@b.test, , c@d.test`), outside groups | dropped | RFC 5322 3.4 / 4.4 (obs-addr-list) makes empty elements of an address list nothing, not an address |
| BODY / BODYSTRUCTURE of a part whose Content-Type is invalid (`text` without subtype, `;`): Dovecot ("text" "") / ("" ""), the server under test text/plain | both parts -> one marker when the server under test says text/plain | RFC 2045 5.2: an invalid Content-Type is treated as text/plain; charset=us-ascii |
| SEARCH BODY/TEXT over messages with such a Content-Type or an unknown Content-Transfer-Encoding (x-uuencode): Dovecot skips or does not decode them | those messages left out of BODY/TEXT results on both sides | RFC 2045 5.2 (text/plain) and 6.4 (an unknown encoding is treated as opaque data, i.e. as is): the server under test searches them as text |

Everything else must match byte for byte. Output: one line per check that failed with a
diff, then `N passed, M failed`; exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from imapwire import Client, IMAPError, fetch_items, normalise_item_name, quote  # noqa: E402

HEADER_FIELDS = "From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To"
HEADER_FIELDS_NOT = "Received Date Message-ID"
MAIN_ITEMS = (
    f"UID RFC822.SIZE FLAGS INTERNALDATE ENVELOPE BODYSTRUCTURE BODY BODY.PEEK[] BODY.PEEK[HEADER] "
    f"BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})] BODY.PEEK[HEADER.FIELDS.NOT ({HEADER_FIELDS_NOT})] "
    f"BODY.PEEK[]<0.100> RFC822.HEADER"
)

MISSING_HOSTS = {b".MISSING-HOST-NAME.", b"MISSING_DOMAIN"}
MISSING_MAILBOXES = {b"MISSING_MAILBOX"}
LIST_IGNORED_ATTRS = {"\\HASCHILDREN", "\\HASNOCHILDREN", "\\MARKED", "\\UNMARKED"}

# SEARCH queries. {u:K} is replaced per server by the UID of the K-th message of the
# reference's order (1-based), {s:K} by its sequence number on that server.
SEARCHES = [
    "ALL",
    "SUBJECT zebra",
    "SUBJECT ZEBRA",
    "SUBJECT \"lonely header\"",
    "BODY quokka",
    "TEXT quokka",
    "BODY corpus-17",
    "TEXT \"corpus-42\"",
    "FROM alice",
    "FROM \"Bob Builder\"",
    "FROM example.org",
    "TO carol",
    "CC dave",
    "HEADER Message-ID corpus-100",
    "HEADER X-Priority \"\"",
    "HEADER Content-Type multipart",
    "SINCE 1-Jan-2023",
    "BEFORE 1-Jul-2022",
    "SINCE 1-Mar-2023 BEFORE 1-Sep-2023",
    "ON 5-Jan-2022",
    "SENTSINCE 1-Jan-2024",
    "SENTBEFORE 1-Jan-2023",
    "LARGER 10000",
    "SMALLER 500",
    "LARGER 1000 SMALLER 5000",
    "SEEN",
    "UNSEEN",
    "FLAGGED",
    "ANSWERED",
    "DELETED",
    "DRAFT",
    "UNFLAGGED UNDELETED",
    "NOT SEEN",
    "OR FLAGGED DRAFT",
    "OR SUBJECT zebra BODY quokka",
    "NOT OR SEEN DELETED",
    "OR (FROM alice SEEN) (TO bob NOT SEEN)",
    "1:10",
    "1:10,20:30,200:*",
    "*",
    "UID {u:1}:{u:10}",
    "UID {u:50}:*",
    "UID {u:3},{u:7},{u:9}:{u:12}",
    "NOT UID {u:1}:{u:100}",
    "KEYWORD $Forwarded",
    "UNKEYWORD $Forwarded SEEN",
    "CHARSET UTF-8 SUBJECT \x00",  # literal: Grüße (decoded encoded words)
    "CHARSET UTF-8 BODY \x00",  # literal: Köln (8-bit body)
    "SUBJECT Fwd",
    "SUBJECT digest",
]
SEARCH_LITERALS = {
    "CHARSET UTF-8 SUBJECT \x00": ["Grüße".encode()],
    "CHARSET UTF-8 BODY \x00": ["Köln".encode()],
}


class Report:
    def __init__(self, max_diffs: int, quiet: bool):
        self.passed = 0
        self.failed = 0
        self.warnings: list[str] = []
        self.max_diffs = max_diffs
        self.quiet = quiet
        self.by_check: dict[str, int] = {}

    def check(self, label: str, category: str, ref, test) -> bool:
        if ref == test:
            self.passed += 1
            return True
        self.failed += 1
        self.by_check[category] = self.by_check.get(category, 0) + 1
        if self.failed <= self.max_diffs:
            print(f"FAIL {label}")
            if not self.quiet:
                a = pretty(ref).splitlines()
                b = pretty(test).splitlines()
                diff = list(difflib.unified_diff(a, b, "reference", "under test", n=2, lineterm=""))
                for line in diff[:60]:
                    print("    " + line)
                if len(diff) > 60:
                    print(f"    ... {len(diff) - 60} more diff lines")
        elif self.failed == self.max_diffs + 1:
            print(f"(more failures; showing the first {self.max_diffs} only)")
        return False


def pretty(v, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(v, list):
        if not v:
            return pad + "()"
        if all(not isinstance(x, list) for x in v) and len(repr(v)) < 100:
            return pad + "(" + " ".join(short(x) for x in v) + ")"
        return pad + "(\n" + "\n".join(pretty(x, indent + 1) for x in v) + "\n" + pad + ")"
    if isinstance(v, dict):
        return "\n".join(f"{pad}{k}: {pretty(val, 0)}" for k, val in sorted(v.items()))
    if isinstance(v, (bytes, bytearray)) and len(v) > 80:
        lines = bytes(v).split(b"\n")
        return "\n".join(pad + repr(line) for line in lines)
    return pad + short(v)


def short(x) -> str:
    if x is None:
        return "NIL"
    if isinstance(x, (bytes, bytearray)):
        return repr(bytes(x))
    return str(x)


# ---- normalisation ------------------------------------------------------------------


def norm_ws(b):
    if isinstance(b, (bytes, bytearray)):
        return re.sub(rb"[ \t\r\n]+", b" ", bytes(b)).strip()
    return b


def norm_address(a):
    if not isinstance(a, list) or len(a) != 4:
        return a
    name, adl, mailbox, host = a
    if host in MISSING_HOSTS:
        host = None
    if mailbox in MISSING_MAILBOXES:
        mailbox = None
    return [norm_ws(name), adl, mailbox, host]


def is_missing_placeholder(a) -> bool:
    """Dovecot's stand-in for an empty element of an address list (see the table)."""
    return (isinstance(a, list) and len(a) == 4 and a[0] is None and a[1] is None
            and a[2] in MISSING_MAILBOXES and a[3] in MISSING_HOSTS)


def drop_missing_placeholders(addresses: list) -> list:
    """Drops placeholders outside groups; group members (between (NIL NIL name NIL) and
    (NIL NIL NIL NIL)) are kept, so a group's empty member still has to match."""
    out, in_group = [], False
    for a in addresses:
        if isinstance(a, list) and len(a) == 4 and a[3] is None:
            in_group = a[2] is not None  # group start has a name, group end is all NIL
        elif not in_group and is_missing_placeholder(a):
            continue
        out.append(a)
    return out


def norm_envelope(env):
    if not isinstance(env, list) or len(env) != 10:
        return env
    out = [norm_ws(env[0]), norm_ws(env[1])]
    for field_ in env[2:8]:
        if isinstance(field_, list):
            out.append([norm_address(a) for a in drop_missing_placeholders(field_)])
        else:
            out.append(field_)
    out += [norm_ws(env[8]), norm_ws(env[9])]
    return out


def lower(x):
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).lower()
    if isinstance(x, str):
        return x.lower()
    return x


def norm_params(p):
    if not isinstance(p, list):
        return p
    return [lower(v) if i % 2 == 0 else v for i, v in enumerate(p)]


def trim_trailing_nils(items: list) -> list:
    while items and items[-1] is None:
        items = items[:-1]
    return items


def norm_body(b, extensible: bool = True):
    """BODY / BODYSTRUCTURE normalisation (see the table at the top)."""
    if not isinstance(b, list) or not b:
        return b
    if isinstance(b[0], list):  # multipart: parts..., subtype, [ext]
        parts = []
        k = 0
        while k < len(b) and isinstance(b[k], list):
            parts.append(norm_body(b[k], extensible))
            k += 1
        subtype = lower(b[k]) if k < len(b) else None
        ext = list(b[k + 1 :])
        if ext:
            ext[0] = norm_params(ext[0])
            if len(ext) > 1 and isinstance(ext[1], list) and ext[1]:
                ext[1] = [lower(ext[1][0])] + [norm_params(x) for x in ext[1][1:]]
        return [parts, subtype, trim_trailing_nils(ext)]
    out = [lower(b[0]), lower(b[1]), norm_params(b[2])] + list(b[3:5]) + [lower(b[5])] + list(b[6:7])
    t0, t1 = lower(b[0]), lower(b[1])
    rest = list(b[7:])
    if t0 in (b"message", "message") and t1 in (b"rfc822", "rfc822", b"global", "global") and len(rest) >= 3:
        out += [norm_envelope(rest[0]), norm_body(rest[1], extensible), rest[2]]
        rest = rest[3:]
    elif t0 in (b"text", "text") and rest:
        out.append(rest[0])
        rest = rest[1:]
    if rest:
        rest = list(rest)
        # md5, disposition, language, location, ...
        if len(rest) > 1 and isinstance(rest[1], list) and rest[1]:
            rest[1] = [lower(rest[1][0])] + [norm_params(x) for x in rest[1][1:]]
    out.append(trim_trailing_nils(rest))
    return out


INVALID_TYPE_MARK = "invalid Content-Type (RFC 2045 5.2: text/plain)"


def reconcile_invalid_types(ref, test):
    """Normalised BODY/BODYSTRUCTURE pair: where the reference has an empty type or subtype (its
    rendering of an invalid Content-Type) and the server under test has text/plain at the same
    place, both parts become one marker (see the table). Anything else is left to compare."""
    if not isinstance(ref, list) or not isinstance(test, list) or not ref or not test:
        return ref, test
    if isinstance(ref[0], list) and isinstance(test[0], list) and len(ref) == 3 and len(test) == 3:
        parts = [reconcile_invalid_types(a, b) for a, b in zip(ref[0], test[0])]
        if len(ref[0]) != len(test[0]):
            return ref, test
        return ([[a for a, _ in parts], ref[1], ref[2]], [[b for _, b in parts], test[1], test[2]])
    if isinstance(ref[0], list) or isinstance(test[0], list) or len(ref) < 2 or len(test) < 2:
        return ref, test
    if (ref[0] in (b"", "") or ref[1] in (b"", "")) and lower(test[0]) in (b"text", "text") \
            and lower(test[1]) in (b"plain", "plain"):
        return INVALID_TYPE_MARK, INVALID_TYPE_MARK
    if lower(ref[0]) in (b"message", "message") and len(ref) > 8 and len(test) > 8:
        inner_ref, inner_test = reconcile_invalid_types(ref[8], test[8])
        return ref[:8] + [inner_ref] + ref[9:], test[:8] + [inner_test] + test[9:]
    return ref, test


MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}


def internaldate_epoch(v):
    if not isinstance(v, (bytes, str)):
        return v
    s = v.decode() if isinstance(v, bytes) else v
    m = re.match(r"\s*(\d+)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", s)
    if not m:
        return s
    import calendar

    d, mon, y, hh, mm, ss, sign, oh, om = m.groups()
    t = calendar.timegm((int(y), MONTHS[mon.upper()], int(d), int(hh), int(mm), int(ss)))
    off = (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)
    return t - off


def norm_flags(v):
    if not isinstance(v, list):
        return v
    return sorted({str(f) for f in v if str(f).upper() != "\\RECENT"}, key=str.upper)


def norm_item(name: str, v):
    if name == "ENVELOPE":
        return norm_envelope(v)
    if name in ("BODYSTRUCTURE", "BODY"):
        return norm_body(v)
    if name == "FLAGS":
        return norm_flags(v)
    if name == "INTERNALDATE":
        return internaldate_epoch(v)
    if name in ("UID", "RFC822.SIZE") and isinstance(v, str):
        return int(v)
    return v


# ---- a server's view ------------------------------------------------------------------


class Server:
    def __init__(self, name: str, host: str, port: int, user: str, password: str, tls: bool):
        self.name = name
        self.c = Client(host, port, tls=tls)
        self.c.login(user, password)
        self.delim = "."

    def list_mailboxes(self) -> dict[tuple, set]:
        r = self.c.ok('LIST "" "*"')
        out = {}
        for u in r.untagged:
            if u and str(u[0]).upper() == "LIST":
                attrs, delim, name = u[1], u[2], u[3]
                d = delim.decode() if isinstance(delim, bytes) else (delim or "")
                self.delim = d or self.delim
                nm = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
                parts = tuple(nm.split(d)) if d else (nm,)
                if parts[0].upper() == "INBOX" and len(parts) == 1:
                    parts = ("INBOX",)
                out[parts] = {str(a).upper() for a in attrs} - LIST_IGNORED_ATTRS
        return out

    def mailbox_name(self, parts: tuple) -> str:
        return self.delim.join(parts)

    def status(self, mailbox: str) -> dict:
        r = self.c.ok(b"STATUS " + quote(mailbox) + b" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)")
        for u in r.untagged:
            if u and str(u[0]).upper() == "STATUS":
                lst = u[2]
                d = {str(lst[i]).upper(): int(lst[i + 1]) for i in range(0, len(lst) - 1, 2)}
                return {k: v for k, v in d.items() if k in ("MESSAGES", "UNSEEN")}
        return {}

    def examine(self, mailbox: str) -> int:
        r = self.c.ok(b"EXAMINE " + quote(mailbox))
        for u in r.untagged:
            if len(u) >= 2 and str(u[1]).upper() == "EXISTS":
                return int(u[0])
        return 0

    def fetch(self, seq: int, items: str) -> dict:
        r = self.c.command(f"FETCH {seq} ({items})")
        if r.status != "OK":
            return {"__status__": f"{r.status} {r.text}"}
        got = fetch_items(r.untagged, seq).get(seq, {})
        return {k: norm_item(k, v) for k, v in got.items()}

    def search(self, query: str, uid: bool = False) -> list[int] | str:
        lits = SEARCH_LITERALS.get(query_key(query))
        r = self.c.command(("UID SEARCH " if uid else "SEARCH ") + query, literals=lits)
        if r.status != "OK":
            return f"{r.status}"
        out: list[int] = []
        for u in r.untagged:
            if u and str(u[0]).upper() == "SEARCH":
                out += [int(x) for x in u[1:] if isinstance(x, str) and x.isdigit()]
        return out


def query_key(q: str) -> str:
    return q


KNOWN_ENCODINGS = {b"7bit", b"8bit", b"binary", b"base64", b"quoted-printable"}
TEXT_SEARCH_KEYS = re.compile(r"(^|[ (])(BODY|TEXT) ", re.I)
TEXT_SEARCH_EXCLUDED: set[str] = set()  # body keys of messages left out of BODY/TEXT results


def text_search_differs(body: bytes) -> bool:
    """True for a message with a Content-Type without subtype (or no type) or an unknown
    Content-Transfer-Encoding in any header block (see the table at the top)."""
    data = body.replace(b"\r\n", b"\n")
    unfolded = re.sub(rb"\n[ \t]+", b" ", data)
    for m in re.finditer(rb"(?im)^content-type:[ \t]*([^;\n]*)", unfolded):
        mtype = m.group(1).split(b"(")[0].strip()
        if b"/" not in mtype:
            return True
    for m in re.finditer(rb"(?im)^content-transfer-encoding:[ \t]*([^;\n(]*)", unfolded):
        if m.group(1).strip().lower() not in KNOWN_ENCODINGS:
            return True
    return False


def body_key(body: bytes) -> str:
    data = body.replace(b"\r\n", b"\n")
    return hashlib.sha1(data).hexdigest()


LABELS: dict[str, str] = {}  # body key -> human label (corpus-N)


def label_of(body: bytes) -> str:
    m = re.search(rb"(corpus|archive|lists)-\d+", body)
    return m.group(0).decode() if m else "msg-" + body_key(body)[:8]


def sections_of(bs, prefix: str = "") -> list[str]:
    """Every part section of a (raw, unnormalised) BODYSTRUCTURE."""
    out = []
    if not isinstance(bs, list) or not bs:
        return out
    if isinstance(bs[0], list):
        k = 0
        while k < len(bs) and isinstance(bs[k], list):
            p = f"{prefix}{k + 1}"
            out.append(p)
            out += sections_of(bs[k], p + ".") if isinstance(bs[k][0], list) else part_subsections(bs[k], p)
            k += 1
        return out
    if not prefix:
        out.append("1")
        out += part_subsections(bs, "1", top=True)
    return out


def part_subsections(bs, p: str, top: bool = False) -> list[str]:
    t0, t1 = lower(bs[0]), lower(bs[1])
    if t0 in (b"message", "message") and t1 in (b"rfc822", "rfc822") and len(bs) > 8:
        inner = bs[8]
        out = [f"{p}.HEADER", f"{p}.TEXT"]
        if isinstance(inner, list) and inner and isinstance(inner[0], list):
            out += sections_of(inner, p + ".")
        else:
            out.append(f"{p}.1")
        return out
    return []


# ---- the comparison ---------------------------------------------------------------------


def compare_mailbox(ref: Server, test: Server, parts: tuple, rep: Report) -> None:
    mname = "/".join(parts)
    n_ref = ref.examine(ref.mailbox_name(parts))
    n_test = test.examine(test.mailbox_name(parts))
    rep.check(f"[{mname}] EXISTS", "EXISTS", n_ref, n_test)

    def index(srv: Server, n: int):
        by_key, order, uids = {}, [], {}
        if n == 0:
            return by_key, order, uids
        r = srv.c.ok("FETCH 1:* (UID BODY.PEEK[])")
        for seq, items in sorted(fetch_items(r.untagged).items()):
            body = items.get("BODY[]") or b""
            k = body_key(body)
            LABELS.setdefault(k, label_of(body))
            if text_search_differs(body):
                TEXT_SEARCH_EXCLUDED.add(k)
            by_key[k] = seq
            order.append(k)
            uids[k] = int(items.get("UID", 0))
        return by_key, order, uids

    ref_by_key, ref_order, ref_uids = index(ref, n_ref)
    test_by_key, test_order, test_uids = index(test, n_test)
    missing = [k for k in ref_order if k not in test_by_key]
    extra = [k for k in test_order if k not in ref_by_key]
    rep.check(f"[{mname}] same message bytes (BODY[]) on both", "BODY[] set",
              [], [f"missing {LABELS[k]}" for k in missing] + [f"extra {LABELS[k]}" for k in extra])
    common = [k for k in ref_order if k in test_by_key]
    if [k for k in test_order if k in ref_by_key] != common:
        rep.warnings.append(f"[{mname}] message order differs between servers (sequence numbers not aligned)")

    # Per message: main items, then part sections.
    for k in common:
        rs, ts = ref_by_key[k], test_by_key[k]
        r_items = ref.fetch(rs, MAIN_ITEMS)
        t_items = test.fetch(ts, MAIN_ITEMS)
        label = label_of(r_items.get("BODY[]") or b"")
        for name in sorted(set(r_items) | set(t_items)):
            if name == "UID":
                continue
            r_value, t_value = r_items.get(name, "<absent>"), t_items.get(name, "<absent>")
            if name in ("BODY", "BODYSTRUCTURE"):
                r_value, t_value = reconcile_invalid_types(r_value, t_value)
            rep.check(f"[{mname}] {label} {name}", name.split("[")[0] + ("[...]" if "[" in name else ""),
                      r_value, t_value)
        raw_bs = ref.c.ok(f"FETCH {rs} (BODYSTRUCTURE)")
        bs = fetch_items(raw_bs.untagged, rs).get(rs, {}).get("BODYSTRUCTURE")
        secs = sections_of(bs)
        if not secs:
            continue
        items = []
        for s in secs:
            items.append(f"BODY.PEEK[{s}]")
            if not s.endswith(("HEADER", "TEXT")):
                items.append(f"BODY.PEEK[{s}.MIME]")
        for chunk in range(0, len(items), 12):
            q = " ".join(items[chunk : chunk + 12])
            r_p = ref.fetch(rs, q)
            t_p = test.fetch(ts, q)
            for name in sorted(set(r_p) | set(t_p)):
                if name == "__status__":
                    rep.check(f"[{mname}] {label} FETCH {q[:60]} status", "FETCH status",
                              r_p.get(name, "OK"), t_p.get(name, "OK"))
                    continue
                cat = "BODY[part.MIME]" if name.endswith(".MIME]") else (
                    "BODY[part.HEADER/TEXT]" if name.endswith(("HEADER]", "TEXT]")) else "BODY[part]")
                rep.check(f"[{mname}] {label} {name}", cat, r_p.get(name, "<absent>"), t_p.get(name, "<absent>"))

    # SEARCH, by message identity.
    if not common:
        return
    ref_seq_to_key = {seq: key for key, seq in ref_by_key.items()}
    test_seq_to_key = {seq: key for key, seq in test_by_key.items()}
    ref_uid_to_key = {u: key for key, u in ref_uids.items()}
    test_uid_to_key = {u: key for key, u in test_uids.items()}

    def subst(q: str, uids: dict[str, int]) -> str:
        def rep_uid(m):
            kth = int(m.group(1))
            key = ref_order[min(kth, len(ref_order)) - 1]
            return str(uids.get(key, 0))
        return re.sub(r"\{u:(\d+)\}", rep_uid, q)

    for q in SEARCHES:
        if "{u:" in q and n_ref < 12:
            continue
        if re.match(r"^[\d:,*]+$", q) and n_ref < 30:
            continue
        for uid in (False, True):
            if re.match(r"^[\d:,*]+$", q) and uid:
                continue
            r_res = ref.search(subst(q, ref_uids), uid)
            t_res = test.search(subst(q, test_uids), uid)
            r_map = ref_uid_to_key if uid else ref_seq_to_key
            t_map = test_uid_to_key if uid else test_seq_to_key

            excluded = TEXT_SEARCH_EXCLUDED if TEXT_SEARCH_KEYS.search(q) else set()

            def keys(res, mp):
                if isinstance(res, str):
                    return res
                return sorted(label_or_key(mp.get(x, f"?{x}")) for x in res if mp.get(x) not in excluded)

            def label_or_key(k):
                return LABELS.get(k, k[:12])

            shown = q.replace("\x00", "<literal>")
            rep.check(f"[{mname}] {'UID ' if uid else ''}SEARCH {shown}", "SEARCH",
                      keys(r_res, r_map), keys(t_res, t_map))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("--reference-port", type=int, required=True)
    ap.add_argument("--reference-host", default="127.0.0.1")
    ap.add_argument("--tls", action="store_true", help="implicit TLS to both (ports are IMAPS ports)")
    ap.add_argument("--mailbox", action="append", help="only these mailboxes (default: every LISTed one)")
    ap.add_argument("--max-diffs", type=int, default=200)
    ap.add_argument("--quiet", action="store_true", help="no diffs, only FAIL lines")
    a = ap.parse_args()
    started = time.time()
    rep = Report(a.max_diffs, a.quiet)
    try:
        ref = Server("reference", a.reference_host, a.reference_port, a.user, a.password, a.tls)
        test = Server("under test", a.host, a.port, a.user, a.password, a.tls)
    except (OSError, IMAPError) as e:
        print(f"FAIL connect/login: {e}")
        print("0 passed, 1 failed")
        return 1
    try:
        ref_boxes = ref.list_mailboxes()
        test_boxes = test.list_mailboxes()
        rep.check("LIST \"\" \"*\" mailbox names", "LIST", sorted(ref_boxes), sorted(test_boxes))
        for parts in sorted(set(ref_boxes) & set(test_boxes)):
            rep.check(f"LIST attributes of {'/'.join(parts)}", "LIST", sorted(ref_boxes[parts]),
                      sorted(test_boxes[parts]))
        boxes = sorted(set(ref_boxes) & set(test_boxes))
        if a.mailbox:
            wanted = {tuple(re.split(r"[./]", m)) for m in a.mailbox}
            boxes = [b for b in boxes if b in wanted]
        for parts in boxes:
            if "\\NOSELECT" in ref_boxes[parts]:
                continue
            rep.check(f"STATUS {'/'.join(parts)}", "STATUS", ref.status(ref.mailbox_name(parts)),
                      test.status(test.mailbox_name(parts)))
            compare_mailbox(ref, test, parts, rep)
    except (OSError, IMAPError) as e:
        rep.check("session", "session", "completed", f"aborted: {e}")
    for w in rep.warnings:
        print(f"WARN {w}")
    if rep.by_check:
        print("failures by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(rep.by_check.items())))
    print(f"differential: {time.time() - started:.1f}s")
    print(f"{rep.passed} passed, {rep.failed} failed")
    for s in (ref, test):
        try:
            s.c.command("LOGOUT")
        except (OSError, IMAPError):
            pass
        s.c.close()
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
