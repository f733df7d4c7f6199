#!/usr/bin/env python3
"""Checks what a real client received against the server's Maildir, for clients.sh.

    verify.py same SERVER_MAILDIR LOCAL [--files] [--ignore-boundary-lines]
                                                        LOCAL (a Maildir, or --files: a folder of
                                                        files) holds exactly the server's messages
    verify.py contains SERVER_MAILDIR FILE              FILE is one of the server's messages
    verify.py mirror USER_MAILDIR_A USER_MAILDIR_B      the same folders (INBOX and Maildir++ .Folders),
                                                        messages and flag letters in both (a store
                                                        copied by `correo migrate` and exported back)
    verify.py pick-id MAILDIR [--without-flag F] [--not ID]  a Message-ID (first in cur/ without F)
    verify.py local-flags MAILDIR MESSAGE-ID            the Maildir flag letters of that message
    verify.py set-local-flag MAILDIR MESSAGE-ID LETTER  renames the file to add a flag letter
    verify.py imap HOST PORT USER PASS [--tls] flags MESSAGE-ID      the server's FLAGS for it
    verify.py imap HOST PORT USER PASS [--tls] store MESSAGE-ID FLAG add FLAG on the server
    verify.py imap HOST PORT USER PASS [--tls] append FILE           APPEND FILE to INBOX
    verify.py imap HOST PORT USER PASS [--tls] has MESSAGE-ID        exit 0 when INBOX has it
    verify.py mutt-pane SERVER_MAILDIR PANE_TEXT        the index in a mutt screen shows the server's
                                                         subjects and its message count
    verify.py mutt-pager SERVER_MAILDIR PANE_TEXT       mutt's pager shows one of the messages

Comparisons ignore line ends (CRLF/LF) and the trace headers a fetching client adds on
top (Received, X-TUID, Status...). Exit 0 on success, 1 with a reason on failure.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from imapwire import Client, fetch_items, quote  # noqa: E402
from maildirutil import body_key, raw_header, read_maildir, strip_added_headers  # noqa: E402


def key(data: bytes, loose: bool = False) -> str:
    data = strip_added_headers(data)
    if loose:
        # offlineimap3 re-serialises each message with Python's email package, which
        # closes an unclosed multipart (adds the missing "--boundary--" line).
        data = b"\n".join(ln for ln in data.replace(b"\r\n", b"\n").split(b"\n") if not ln.startswith(b"--"))
    return body_key(data)


def fail(msg: str) -> int:
    print(f"verify: {msg}")
    return 1


def cmd_same(server: str, local: str, files: bool, loose: bool = False) -> int:
    want = Counter(key(m.data, loose) for m in read_maildir(server))
    if files:
        datas = [p.read_bytes() for p in sorted(Path(local).iterdir()) if p.is_file()]
    else:
        datas = [m.data for m in read_maildir(local)]
    have = Counter(key(d, loose) for d in datas)
    if want != have:
        missing, extra = want - have, have - want
        return fail(f"{sum(missing.values())} of {sum(want.values())} server messages missing locally, "
                    f"{sum(extra.values())} unexpected local ones")
    print(f"verify: {sum(have.values())} messages match the server's Maildir")
    return 0


def cmd_contains(server: str, file: str) -> int:
    data = Path(file).read_bytes()
    keys = {key(m.data) for m in read_maildir(server)}
    if key(data) not in keys:
        return fail(f"{file} ({len(data)} bytes) is not one of the server's messages")
    print(f"verify: {file} is one of the server's messages ({len(data)} bytes)")
    return 0


def maildir_folders(user_maildir: Path) -> list[str]:
    """'' (INBOX) and the Maildir++ folder names (.Archive, .Lists.Swift...) under a user's Maildir."""
    return [""] + sorted(p.name for p in user_maildir.iterdir() if p.name.startswith(".") and (p / "cur").is_dir())


def cmd_mirror(a: str, b: str) -> int:
    pa, pb = Path(a), Path(b)
    fa, fb = maildir_folders(pa), maildir_folders(pb)
    bad, total = [], 0

    def content(user_maildir: Path, folder: str, present: list[str]) -> Counter:
        if folder not in present:
            return Counter()
        return Counter((m.key, "".join(sorted(m.flags))) for m in read_maildir(user_maildir / folder))

    for folder in sorted(set(fa) | set(fb)):
        want, have = content(pa, folder, fa), content(pb, folder, fb)
        # A folder only on one side is fine when it is empty (a parent such as .Lists may be
        # made explicitly on the way); messages must match message for message, flags included.
        if folder in fa and folder not in fb and want:
            bad.append(f"{folder or 'INBOX'}: missing in {b}")
        elif want != have:
            bad.append(f"{folder or 'INBOX'}: {sum((want - have).values())} of {sum(want.values())} messages "
                       f"missing or with other flags, {sum((have - want).values())} unexpected")
        total += sum(want.values())
    if bad:
        return fail("stores differ: " + "; ".join(bad))
    print(f"verify: {total} messages in {len(fa)} folders match, flags included")
    return 0


def find(maildir: str, msgid: str):
    for m in read_maildir(maildir):
        if (raw_header(m.data, "Message-ID") or b"").decode("latin-1") == msgid:
            return m
    return None


def cmd_pick_id(maildir: str, without: str, avoid: str) -> int:
    for m in read_maildir(maildir):
        mid = raw_header(m.data, "Message-ID")
        if mid and mid.decode("latin-1") != avoid and m.path.parent.name == "cur" and (
                not without or without not in m.flags):
            print(mid.decode("latin-1"))
            return 0
    return fail("no message to pick")


def cmd_local_flags(maildir: str, msgid: str) -> int:
    m = find(maildir, msgid)
    if m is None:
        return fail(f"{msgid} not in {maildir}")
    print(m.flags)
    return 0


def cmd_set_local_flag(maildir: str, msgid: str, letter: str) -> int:
    m = find(maildir, msgid)
    if m is None:
        return fail(f"{msgid} not in {maildir}")
    base = m.path.name.split(":2,", 1)[0]
    flags = "".join(sorted(set(m.flags + letter)))
    os.rename(m.path, m.path.parent.parent / "cur" / f"{base}:2,{flags}")
    return 0


def cmd_imap(args: list[str]) -> int:
    host, port, user, password = args[:4]
    rest = args[4:]
    tls = False
    if rest and rest[0] == "--tls":
        tls, rest = True, rest[1:]
    c = Client(host, int(port), tls=tls)
    c.login(user, password)
    action = rest[0]
    try:
        if action == "append":
            data = Path(rest[1]).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            c.ok("APPEND INBOX \x00", literals=[data])
            return 0
        c.ok("SELECT INBOX")
        r = c.ok(b"UID SEARCH HEADER Message-ID " + quote(rest[1]))
        uids = [x for u in r.untagged if u and str(u[0]).upper() == "SEARCH" for x in u[1:]]
        if action == "has":
            return 0 if uids else fail(f"{rest[1]} not on the server")
        if not uids:
            return fail(f"{rest[1]} not on the server")
        if action == "flags":
            r = c.ok(f"UID FETCH {uids[0]} (FLAGS)")
            flags = next(iter(fetch_items(r.untagged).values()), {}).get("FLAGS") or []
            print(" ".join(str(f) for f in flags))
            return 0
        if action == "store":
            c.ok(f"UID STORE {uids[0]} +FLAGS ({rest[2]})")
            return 0
        return fail(f"unknown imap action {action}")
    finally:
        c.command("LOGOUT")
        c.close()


def cmd_mutt_pane(server: str, pane_file: str) -> int:
    text = Path(pane_file).read_text(errors="replace")
    msgs = read_maildir(server)
    m = re.search(r"MUTTSTATUS msgs=(\d+)", text)
    if not m:
        return fail("mutt status line not found on screen:\n" + text[-2000:])
    if int(m.group(1)) != len(msgs):
        return fail(f"mutt shows {m.group(1)} messages, Maildir has {len(msgs)}")
    rows = re.findall(r"^\s*(?:->)?\s*ROW\|\s*(\d+)\|(.*?)\s*$", text, re.M)
    if not rows:
        return fail("no index rows on screen:\n" + text[-2000:])
    want = [" ".join(s.split()) for s in (x.subject for x in msgs)]

    def matches(shown: str) -> bool:
        shown = " ".join(shown.split())
        if not shown:
            return "" in want
        # mutt may cut long subjects and show unrenderable characters as '?'
        pat = re.escape(shown).replace(r"\?", ".")
        return any(re.match(pat, w) for w in want)

    bad = [s for _, s in rows if not matches(s)]
    if len(bad) > len(rows) // 10:  # a few subjects may be rendered differently by mutt itself
        return fail(f"{len(bad)} of {len(rows)} subjects on screen are not the Maildir's: {bad[:5]}")
    print(f"verify: mutt shows {m.group(1)} messages; {len(rows) - len(bad)} of {len(rows)} visible subjects match")
    return 0


def cmd_mutt_pager(server: str, pane_file: str) -> int:
    text = Path(pane_file).read_text(errors="replace")
    if "ROW|" in text:
        return fail("mutt did not open the message:\n" + text[-1500:])
    m = re.search(r"^Subject: (.*)$", text, re.M)
    if not m:
        return fail("the pager shows no Subject: line:\n" + text[-1500:])
    shown = " ".join(m.group(1).split())
    pat = re.escape(shown).replace(r"\?", ".")
    if not any(re.match(pat, " ".join(x.subject.split())) for x in read_maildir(server)):
        return fail(f"the pager's subject {shown!r} is not a Maildir subject")
    print(f"verify: mutt's pager shows the message {shown!r}")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "same":
        return cmd_same(args[0], args[1], "--files" in args, "--ignore-boundary-lines" in args)
    if cmd == "contains":
        return cmd_contains(args[0], args[1])
    if cmd == "mirror":
        return cmd_mirror(args[0], args[1])
    if cmd == "pick-id":
        without = args[args.index("--without-flag") + 1] if "--without-flag" in args else ""
        avoid = args[args.index("--not") + 1] if "--not" in args else ""
        return cmd_pick_id(args[0], without, avoid)
    if cmd == "local-flags":
        return cmd_local_flags(args[0], args[1])
    if cmd == "set-local-flag":
        return cmd_set_local_flag(args[0], args[1], args[2])
    if cmd == "imap":
        return cmd_imap(args)
    if cmd == "mutt-pager":
        return cmd_mutt_pager(args[0], args[1])
    if cmd == "mutt-pane":
        return cmd_mutt_pane(args[0], args[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
