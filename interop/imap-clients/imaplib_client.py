#!/usr/bin/env python3
"""Python imaplib against a server: every common IMAP4rev1 command, checked.

    imaplib_client.py HOST PORT USER PASS [--tls] [--maildir USER_MAILDIR] [--deliver maildir|append]
                      [--deliver-port PORT]

With --maildir (the user's Maildir on the server's storage) the INBOX content is checked
against the files, and IDLE is tested with a delivery done by dropping a file into
new/, as an MTA or `correo smtpd` would. Without --maildir, or with --deliver append
(the Maildir is then only a copy of the server's state, e.g. exported from a PostgreSQL
store, and a file dropped there would reach no server), the delivery is an APPEND from
a second connection, to --deliver-port when given (another server on the same store, e.g.
a second correo node on the same PostgreSQL database: the news must then travel through
the store, as a dropped file's does). Destructive steps work in scratch mailboxes that
are created and deleted here. Prints PASS/FAIL per step and `N passed, M failed`.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import re
import socket
import ssl
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from maildirutil import body_key, read_maildir  # noqa: E402

RESULTS: list[tuple[str, bool, str]] = []


def step(name: str, ok: bool, detail: str = "") -> bool:
    RESULTS.append((name, ok, detail))
    print(f"  {'PASS' if ok else 'FAIL'} imaplib {name}" + (f": {detail}" if detail and not ok else ""))
    return ok


def ok(typ) -> bool:
    return typ == "OK"


def connect(a, port: int | None = None) -> imaplib.IMAP4:
    port = port or a.port
    if a.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return imaplib.IMAP4_SSL(a.host, port, ssl_context=ctx, timeout=30)
    return imaplib.IMAP4(a.host, port, timeout=30)


def internaldate_epoch(s: str) -> int | None:
    import calendar

    m = re.match(r"\s*(\d+)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", s)
    if not m:
        return None
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    d, mon, y, hh, mm, ss, sign, oh, om = m.groups()
    t = calendar.timegm((int(y), months.index(mon.upper()) + 1, int(d), int(hh), int(mm), int(ss)))
    return t - (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)


def parse_list_line(line: bytes):
    m = re.match(rb'\((?P<attrs>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.*)$', line)
    if not m:
        return None
    name = m.group("name").strip()
    if name.startswith(b'"'):
        name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    delim = m.group("delim")
    delim = None if delim == b"NIL" else delim[1:-1].replace(b"\\\\", b"\\")
    return m.group("attrs").split(), delim, name.decode()


def fetch_parts(data) -> list[tuple[bytes, bytes]]:
    """imaplib's FETCH data -> [(header line, literal bytes)]."""
    return [d for d in data if isinstance(d, tuple)]


def run(a) -> None:
    m = connect(a)
    step("greeting + CAPABILITY", "IMAP4REV1" in m.capabilities, str(m.capabilities))
    typ, _ = m.login(a.user, a.password)
    step("LOGIN", ok(typ))
    typ, caps = m.capability()
    caps = set(caps[0].decode().upper().split()) if ok(typ) and caps and caps[0] else set()
    step("CAPABILITY after login", "IMAP4REV1" in caps, str(caps))

    typ, lines = m.list('""', "*")
    boxes = [parse_list_line(x) for x in lines if x]
    names = {b[2] for b in boxes if b}
    step('LIST "" "*" has INBOX', ok(typ) and any(n.upper() == "INBOX" for n in names), str(names))
    delim = next((b[1].decode() for b in boxes if b and b[1]), ".")

    expected = read_maildir(a.maildir) if a.maildir else None
    typ, data = m.select("INBOX")
    exists = int(data[0]) if ok(typ) else -1
    step("SELECT INBOX", ok(typ) and (expected is None or exists == len(expected)),
         f"EXISTS {exists}, Maildir has {len(expected) if expected is not None else '?'}")
    typ, _ = m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)")
    st = _[0].decode() if ok(typ) else ""
    mm = re.search(r"MESSAGES (\d+)", st)
    step("STATUS INBOX", ok(typ) and mm is not None and int(mm.group(1)) == exists, st)

    # FETCH of each kind, on every message: content must be the Maildir's.
    typ, data = m.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])")
    got = fetch_parts(data)
    bodies = [lit for _, lit in got]
    sizes_ok = all(
        re.search(rb"RFC822\.SIZE (\d+)", hdr) and int(re.search(rb"RFC822\.SIZE (\d+)", hdr).group(1)) == len(lit)
        for hdr, lit in got
    )
    step("FETCH 1:* BODY.PEEK[] count", ok(typ) and len(bodies) == exists, f"{len(bodies)} of {exists}")
    step("FETCH RFC822.SIZE == length of BODY[] for every message", sizes_ok)
    if expected is not None:
        want = Counter(x.key for x in expected)
        have = Counter(body_key(b) for b in bodies)
        step("FETCH BODY[] bytes == Maildir files (CRLF)", want == have,
             f"{sum((want - have).values())} missing, {sum((have - want).values())} unexpected")
        crlf_ok = all(b"\n" not in b.replace(b"\r\n", b"") for b in bodies)
        step("FETCH BODY[] uses CRLF line ends (bare-LF files too)", crlf_ok)
    kinds = [
        ("ENVELOPE", rb"ENVELOPE \("),
        ("BODYSTRUCTURE", rb"BODYSTRUCTURE \("),
        ("BODY", rb"BODY \("),
        ("BODY.PEEK[HEADER]", rb"BODY\[HEADER\]"),
        ("BODY.PEEK[TEXT]", rb"BODY\[TEXT\]"),
        ("BODY.PEEK[1]", rb"BODY\[1\]"),
        ("BODY.PEEK[1.MIME]", rb"BODY\[1\.MIME\]"),
        ("BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]", rb"BODY\[HEADER\.FIELDS \(\"?SUBJECT\"? \"?FROM\"?\)\]"),
        ("BODY.PEEK[]<0.20>", rb"BODY\[\]<0>"),
        ("RFC822.HEADER", rb"RFC822\.HEADER"),
        ("RFC822.TEXT", rb"RFC822\.TEXT"),
        ("RFC822", rb"RFC822 "),
        ("INTERNALDATE", rb'INTERNALDATE "'),
        ("FAST", rb"RFC822\.SIZE"),
        ("ALL", rb"ENVELOPE"),
        ("FULL", rb"BODY \("),
    ]
    if exists:
        typ, data = m.fetch("1", "(FLAGS)")
        before = data[0] if ok(typ) else b""
        for item, pat in kinds:
            typ, data = m.fetch("1", item if item in ("FAST", "ALL", "FULL") else f"({item})")
            flat = b" ".join(x[0] if isinstance(x, tuple) else x for x in data if x)
            step(f"FETCH {item}", ok(typ) and re.search(pat, flat, re.I) is not None, flat[:120].decode("latin-1"))
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        step("UID FETCH 1:* (FLAGS)", ok(typ) and len([d for d in data if d]) == exists)
        typ, data = m.search(None, "ALL")
        step("SEARCH ALL", ok(typ) and len(data[0].split()) == exists)
        typ, data = m.uid("SEARCH", None, "ALL")
        step("UID SEARCH ALL", ok(typ) and len(data[0].split()) == exists)
        # RFC822 and RFC822.TEXT set \Seen in a read-write mailbox; put the first flags back.
        flags = [f.decode() for f in re.findall(rb"[\\$]?[\w$]+", before.split(b"FLAGS (", 1)[-1].split(b")")[0])
                 if f.lower() != b"\\recent"]
        step("STORE FLAGS (restore)", ok(m.store("1", "FLAGS.SILENT", "(" + " ".join(flags) + ")")[0]))
    try:
        # imaplib sends EXAMINE for readonly=True and raises when there is no [READ-ONLY].
        typ, data = m.select("INBOX", readonly=True)
        step("EXAMINE INBOX is READ-ONLY", ok(typ))
    except imaplib.IMAP4.readonly as e:
        step("EXAMINE INBOX is READ-ONLY", False, str(e))

    # Scratch mailboxes for the destructive commands.
    tag = f"Interop{os.getpid()}"
    box, box2 = tag, f"{tag}{delim}Sub"
    step("CREATE", ok(m.create(box)[0]))
    step("CREATE nested", ok(m.create(box2)[0]))
    typ, lines = m.list('""', f"{tag}*")
    listed = {parse_list_line(x)[2] for x in lines if x}
    step("LIST pattern shows created", box in listed and box2 in listed, str(listed))
    step("RENAME", ok(m.rename(box2, f"{tag}{delim}Renamed")[0]))
    box2 = f"{tag}{delim}Renamed"
    typ, lines = m.list('""', f"{tag}*")
    listed = {parse_list_line(x)[2] for x in lines if x}
    step("LIST after RENAME", box2 in listed and f"{tag}{delim}Sub" not in listed, str(listed))
    step("SUBSCRIBE", ok(m.subscribe(box)[0]))
    typ, lines = m.lsub('""', "*")
    subs = {parse_list_line(x)[2] for x in lines if x}
    step("LSUB shows subscribed", box in subs, str(subs))
    step("UNSUBSCRIBE", ok(m.unsubscribe(box)[0]))
    typ, lines = m.lsub('""', "*")
    subs = {parse_list_line(x)[2] for x in lines if x}
    step("LSUB after UNSUBSCRIBE", box not in subs, str(subs))

    msg = (b"From: Interop <interop@example.org>\r\nTo: alice@example.org\r\nSubject: appended " + tag.encode()
           + b"\r\nDate: Wed, 1 Feb 2023 10:00:00 +0100\r\nMessage-ID: <" + tag.encode() + b"@interop>\r\n"
           + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGr\xc3\xbc\xc3\x9fe, appended.\r\n")
    date = '"01-Feb-2023 10:00:00 +0100"'
    typ, data = m.append(box, r"(\Seen \Flagged)", date, msg)
    step("APPEND with flags and date", ok(typ), str(data))
    if "UIDPLUS" in caps:
        step("APPEND returns APPENDUID (UIDPLUS)", b"APPENDUID" in (data[0] or b""), str(data))
    m.append(box, None, None, msg.replace(b"appended", b"second"))
    m.append(box, r"(\Draft)", None, msg.replace(b"appended", b"third"))
    typ, data = m.select(box)
    step("SELECT scratch has 3", ok(typ) and int(data[0]) == 3, str(data))
    typ, data = m.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
    parts = fetch_parts(data)
    hdr, lit = parts[0] if parts else (b"", b"")
    step("APPENDed bytes come back unchanged", lit == msg)
    step("APPENDed flags kept", b"\\Seen" in hdr and b"\\Flagged" in hdr, hdr.decode("latin-1"))
    idate = re.search(rb'INTERNALDATE "([^"]+)"', hdr)
    step("APPENDed INTERNALDATE kept (same instant)",
         idate is not None and internaldate_epoch(idate.group(1).decode()) == 1675242000,
         idate.group(1).decode() if idate else "none")

    typ, data = m.store("2", "+FLAGS", r"(\Flagged \Answered)")
    step("STORE +FLAGS", ok(typ) and b"\\Flagged" in data[0] and b"\\Answered" in data[0], str(data))
    typ, data = m.store("2", "-FLAGS", r"(\Answered)")
    step("STORE -FLAGS", ok(typ) and b"\\Answered" not in data[0], str(data))
    typ, data = m.store("2", "+FLAGS.SILENT", "($Forwarded)")
    typ, data = m.fetch("2", "(FLAGS)")
    step("STORE +FLAGS.SILENT keyword $Forwarded", b"$Forwarded" in data[0], str(data))
    typ, data = m.uid("STORE", "1:*", "+FLAGS", r"(\Seen)")
    typ2, data2 = m.fetch("1:*", "(FLAGS)")
    step("UID STORE 1:* +FLAGS", ok(typ) and sum(b"\\Seen" in d for d in data2 if d) == 3, str(data2))
    typ, data = m.search(None, "FLAGGED")
    step("SEARCH FLAGGED", ok(typ) and data[0].split() == [b"1", b"2"], str(data))
    typ, data = m.search(None, "SUBJECT", "third")
    step("SEARCH SUBJECT", ok(typ) and data[0].split() == [b"3"], str(data))
    typ, data = m.search(None, "BODY", "appended")
    step("SEARCH BODY", ok(typ) and data[0].split() == [b"1"], str(data))
    typ, data = m.search("UTF-8", "BODY", '"Gr\xfc\xdfe"'.encode("latin-1").decode("latin-1").encode("utf-8"))
    step("SEARCH CHARSET UTF-8 BODY (8-bit)", ok(typ) and len(data[0].split()) == 3, str(data))
    typ, data = m.copy("1:2", box2)
    step("COPY", ok(typ))
    typ, data = m.status(box2, "(MESSAGES)")
    step("STATUS after COPY", ok(typ) and b"MESSAGES 2" in data[0], str(data))
    if "MOVE" in caps:
        typ, data = m._simple_command("MOVE", "3", box2)
        step("MOVE (advertised)", ok(typ))
        typ, data = m.status(box2, "(MESSAGES)")
        step("STATUS after MOVE", b"MESSAGES 3" in data[0], str(data))
        m.noop()
        typ, data = m.search(None, "ALL")
        step("source lost the MOVEd message", data[0].split() == [b"1", b"2"], str(data))
    else:
        step("MOVE not advertised: UID COPY instead", ok(m.uid("COPY", "3", box2)[0]))
        m.store("3", "+FLAGS.SILENT", r"(\Deleted)")
        m.expunge()
    typ, data = m.store("1", "+FLAGS", r"(\Deleted)")
    m.untagged_responses.pop("EXPUNGE", None)  # the MOVE's own EXPUNGE response
    typ, data = m.expunge()
    step("EXPUNGE", ok(typ) and data == [b"1"], str(data))
    typ, data = m.search(None, "ALL")
    step("one message left", data[0].split() == [b"1"], str(data))
    if "UIDPLUS" in caps:
        typ, data = m.uid("SEARCH", None, "ALL")
        uid = data[0].split()[0].decode()
        m.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        typ, data = m.uid("EXPUNGE", uid)
        step("UID EXPUNGE (UIDPLUS)", ok(typ), str(data))
    typ, data = m.check()
    step("CHECK", ok(typ))
    typ, data = m.close()
    step("CLOSE", ok(typ))
    step("DELETE nested", ok(m.delete(box2)[0]))
    step("DELETE", ok(m.delete(box)[0]))
    typ, lines = m.list('""', f"{tag}*")
    step("LIST after DELETE is empty", not [x for x in lines if x], str(lines))

    idle(m, a, caps)
    typ, _ = m.logout()
    step("LOGOUT", typ == "BYE")


def idle(m: imaplib.IMAP4, a, caps: set[str]) -> None:
    if "IDLE" not in caps:
        step("IDLE advertised", False, str(caps))
        return
    typ, data = m.select("INBOX")
    exists = int(data[0])
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    line = m.readline()
    step("IDLE continuation", line.startswith(b"+"), line.decode("latin-1"))
    msg = (b"From: Dropper <drop@example.org>\r\nTo: alice@example.org\r\nSubject: delivered during IDLE\r\n"
           b"Message-ID: <idle-" + str(os.getpid()).encode() + b"@interop>\r\n\r\nhello while idling\r\n")
    if a.maildir and a.deliver == "maildir":
        name = f"{int(time.time())}.M{os.getpid()}P{os.getpid()}.interop-idle"
        tmp = Path(a.maildir) / "tmp" / name
        tmp.write_bytes(msg)
        st = Path(a.maildir).stat()
        os.chown(tmp, st.st_uid, st.st_gid)  # the server may run as the Maildir's owner
        os.rename(tmp, Path(a.maildir) / "new" / name)
        how = "file dropped into new/"
    else:
        other = connect(a, a.deliver_port)
        other.login(a.user, a.password)
        other.append("INBOX", None, None, msg)
        other.logout()
        how = "APPEND from a second connection" + (f" to port {a.deliver_port}" if a.deliver_port else "")
    m.sock.settimeout(35)
    seen = b""
    deadline = time.time() + 35
    got = False
    try:
        while time.time() < deadline:
            line = m.readline()
            if not line:
                break
            seen += line
            if re.match(rb"\* (\d+) EXISTS", line) and int(re.match(rb"\* (\d+)", line).group(1)) == exists + 1:
                got = True
                break
    except (socket.timeout, TimeoutError):
        pass
    step(f"IDLE reports EXISTS {exists + 1} after a delivery ({how})", got, seen.decode("latin-1")[:200])
    m.sock.settimeout(30)
    m.send(b"DONE\r\n")
    done_ok = False
    while True:
        line = m.readline()
        if not line:
            break
        if line.startswith(tag):
            done_ok = b" OK" in line
            break
    step("IDLE DONE -> tagged OK", done_ok)
    typ, data = m.fetch(str(exists + 1), "(BODY.PEEK[])")
    parts = fetch_parts(data)
    step("delivered message readable", bool(parts) and parts[0][1] == msg)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--maildir")
    ap.add_argument("--deliver", choices=("maildir", "append"), default="maildir",
                    help="how the IDLE test delivers: a file into --maildir's new/ (the default when "
                         "--maildir is given), or APPEND from a second connection")
    ap.add_argument("--deliver-port", type=int, default=0,
                    help="the port (same host, same TLS) of the server the APPEND goes to; default PORT")
    a = ap.parse_args()
    try:
        run(a)
    except Exception as e:  # any crash of the script against a server is a failure to report
        step("session", False, f"aborted: {type(e).__name__}: {e}")
    failed = [r for r in RESULTS if not r[1]]
    print(f"imaplib: {len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
