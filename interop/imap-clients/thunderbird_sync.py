#!/usr/bin/env python3
"""Thunderbird's first synchronisation of an account, command for command.

    thunderbird_sync.py HOST PORT USER PASS [--tls] [--maildir USER_MAILDIR]

The sequence Thunderbird 115 sends on a new account (from its IMAP protocol log):
CAPABILITY, LOGIN (or AUTHENTICATE PLAIN when advertised), ID, NAMESPACE, LIST "" "*"
(or LIST (SUBSCRIBED) ...), SELECT INBOX, UID FETCH 1:* (FLAGS), the header fetch of
every message, then UID FETCH n BODY.PEEK[] for the message the user opens (in 64 KiB
BODY.PEEK[]<offset.65536> chunks for big messages, Thunderbird's default). The
original prototype's Thunderbird bug ("logged in but never showed the messages")
came from this sequence, so each answer is checked: counts, subjects, RFC822.SIZE
equal to the bytes BODY[] returns, and those bytes equal to the Maildir's files.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from imapwire import Client, IMAPError, fetch_items  # noqa: E402
from maildirutil import body_key, decoded_subject, read_maildir  # noqa: E402

TB_HEADERS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To "
              "Content-Type Reply-To")
RESULTS: list[tuple[str, bool]] = []
CHUNK = 65536


def step(name: str, ok: bool, detail: str = "") -> bool:
    RESULTS.append((name, ok))
    print(f"  {'PASS' if ok else 'FAIL'} thunderbird {name}" + (f": {detail}" if detail and not ok else ""))
    return ok


def run(a) -> None:
    c = Client(a.host, a.port, tls=a.tls)
    r = c.ok("CAPABILITY")
    caps = set()
    for u in r.untagged:
        if u and str(u[0]).upper() == "CAPABILITY":
            caps = {str(x).upper() for x in u[1:]}
    step("CAPABILITY", "IMAP4REV1" in caps, str(caps))
    if "AUTH=PLAIN" in caps:
        blob = base64.b64encode(b"\0" + a.user.encode() + b"\0" + a.password.encode()).decode()
        if "SASL-IR" in caps:
            r = c.command(f"AUTHENTICATE PLAIN {blob}")
        else:
            tag = c.next_tag()
            c.sock.sendall(f"{tag} AUTHENTICATE PLAIN\r\n".encode())
            cont = c.read_response()
            c.sock.sendall(blob.encode() + b"\r\n")
            resp = c.read_response()
            while not resp.startswith(tag.encode()):
                resp = c.read_response()
            r = Client._tagged(resp, type(r)("", ""))
            del cont
        step("AUTHENTICATE PLAIN", r.status == "OK", r.text)
    else:
        r = c.login(a.user, a.password)
        step("LOGIN", r.status == "OK")
    r = c.ok("CAPABILITY")
    for u in r.untagged:
        if u and str(u[0]).upper() == "CAPABILITY":
            caps = {str(x).upper() for x in u[1:]}
    if "ID" in caps:
        r = c.command('ID ("name" "Thunderbird" "version" "115.0")')
        step("ID", r.status == "OK", r.text)
    if "NAMESPACE" in caps:
        r = c.command("NAMESPACE")
        step("NAMESPACE", r.status == "OK", r.text)
    r = c.command('LIST "" "*"')
    names = [u[3] for u in r.untagged if u and str(u[0]).upper() == "LIST"]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    step('LIST "" "*"', r.status == "OK" and any(n.upper() == "INBOX" for n in names), str(names))
    r = c.command('LSUB "" "*"')
    step('LSUB "" "*"', r.status == "OK", r.text)
    r = c.command("SELECT INBOX")
    exists = next((int(u[0]) for u in r.untagged if len(u) > 1 and str(u[1]).upper() == "EXISTS"), -1)
    uidvalidity = next((u for u in r.untagged if "UIDVALIDITY" in str(u)), None)
    expected = read_maildir(a.maildir) if a.maildir else None
    step("SELECT INBOX", r.status == "OK" and (expected is None or exists == len(expected)),
         f"EXISTS {exists} vs Maildir {len(expected) if expected is not None else '?'}")
    step("SELECT gives UIDVALIDITY", uidvalidity is not None)
    r = c.command("UID FETCH 1:* (FLAGS)")
    step("UID FETCH 1:* (FLAGS)", r.status == "OK" and len(fetch_items(r.untagged)) == exists)
    r = c.command(f"UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS ({TB_HEADERS})])")
    items = fetch_items(r.untagged)
    step("UID FETCH 1:* headers", r.status == "OK" and len(items) == exists, f"{len(items)} of {exists}")
    hdr_name = next((k for v in items.values() for k in v if k.startswith("BODY[HEADER.FIELDS")), None)
    step("header FETCH answered as BODY[HEADER.FIELDS (...)]", hdr_name is not None)
    uids = sorted(int(v["UID"]) for v in items.values() if "UID" in v)
    step("every message has a UID", len(uids) == exists and len(set(uids)) == exists)
    subjects = Counter(decoded_subject(v.get(hdr_name) or b"") for v in items.values()) if hdr_name else Counter()
    if expected is not None:
        want = Counter(m.subject for m in expected)
        step("subjects == Maildir subjects", subjects == want,
             f"missing {list((want - subjects).elements())[:3]}, extra {list((subjects - want).elements())[:3]}")
    sizes = {int(v["UID"]): int(v["RFC822.SIZE"]) for v in items.values() if "UID" in v and "RFC822.SIZE" in v}
    bodies = {}
    bad_size = []
    chunked, bad_chunks = 0, []
    for uid in uids:
        r = c.command(f"UID FETCH {uid} (UID RFC822.SIZE BODY.PEEK[])")
        got = next(iter(fetch_items(r.untagged).values()), {})
        body = got.get("BODY[]") or b""
        bodies[uid] = body
        if len(body) != sizes.get(uid, -1):
            bad_size.append(uid)
        if sizes.get(uid, 0) > CHUNK:
            # Thunderbird's default (mail.imap.fetch_by_chunks): 64 KiB partial fetches
            # until a short chunk, trusting RFC822.SIZE for where the message ends.
            chunked += 1
            parts, off = [], 0
            while off < sizes[uid]:
                r = c.command(f"UID FETCH {uid} (UID RFC822.SIZE BODY.PEEK[]<{off}.{CHUNK}>)")
                got = next(iter(fetch_items(r.untagged).values()), {})
                piece = got.get(f"BODY[]<{off}>") or b""
                parts.append(piece)
                off += CHUNK
                if len(piece) < CHUNK:
                    break
            if b"".join(parts) != body:
                bad_chunks.append(uid)
    step("UID FETCH n BODY.PEEK[] for every message", len(bodies) == exists)
    if chunked:
        step(f"64 KiB chunked BODY.PEEK[]<off.len> == BODY[] ({chunked} big messages)", not bad_chunks,
             f"UIDs {bad_chunks[:10]}")
    step("RFC822.SIZE == bytes of BODY[] (the prototype's bug)", not bad_size, f"UIDs {bad_size[:10]}")
    if expected is not None:
        want = Counter(m.key for m in expected)
        have = Counter(body_key(b) for b in bodies.values())
        step("BODY[] == Maildir files", want == have,
             f"{sum((want - have).values())} missing, {sum((have - want).values())} unexpected")
    r = c.command("UID FETCH 1:* (FLAGS)")
    unseen_after = sum(1 for v in fetch_items(r.untagged).values()
                       if "\\Seen" not in [str(f) for f in (v.get("FLAGS") or [])])
    step("BODY.PEEK[] did not set \\Seen", expected is None or unseen_after == sum(
        1 for m in expected if "S" not in m.flags), f"{unseen_after} unseen")
    r = c.command("NOOP")
    step("NOOP", r.status == "OK")
    r = c.command("LOGOUT")
    step("LOGOUT", r.status == "OK" and any(str(u[0]).upper() == "BYE" for u in r.untagged))
    c.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user")
    ap.add_argument("password")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--maildir")
    a = ap.parse_args()
    try:
        run(a)
    except (IMAPError, OSError, ValueError, KeyError) as e:
        step("session", False, f"aborted: {type(e).__name__}: {e}")
    failed = [r for r in RESULTS if not r[1]]
    print(f"thunderbird: {len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
