"""Reading a Maildir as the truth a client's result is checked against (stdlib only)."""

from __future__ import annotations

import email.header
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass
class MaildirMessage:
    path: Path
    data: bytes  # the file's bytes
    flags: str  # the letters after ":2,"

    @property
    def wire(self) -> bytes:
        """The message as IMAP serves it: CRLF line ends."""
        return crlf(self.data)

    @property
    def key(self) -> str:
        return body_key(self.data)

    @property
    def subject(self) -> str:
        return decoded_subject(self.data)


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def body_key(data: bytes) -> str:
    """Identity of a message's content, whatever its line ends."""
    return hashlib.sha1(data.replace(b"\r\n", b"\n").rstrip(b"\n")).hexdigest()


def read_maildir(folder: Path | str) -> list[MaildirMessage]:
    folder = Path(folder)
    out = []
    for sub in ("new", "cur"):
        d = folder / sub
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.name.startswith(".") or not p.is_file():
                continue
            flags = p.name.split(":2,", 1)[1] if ":2," in p.name else ""
            out.append(MaildirMessage(p, p.read_bytes(), flags))
    return out


def header_block(data: bytes) -> bytes:
    data = data.replace(b"\r\n", b"\n")
    end = data.find(b"\n\n")
    return data if end < 0 else data[: end + 1]


def raw_header(data: bytes, name: str) -> bytes | None:
    block = header_block(data)
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb":[ \t]*(.*(?:\n[ \t].*)*)", block)
    if not m:
        return None
    return re.sub(rb"\n[ \t]", b" ", m.group(1)).strip()


def decoded_subject(data: bytes) -> str:
    raw = raw_header(data, "Subject")
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace")
    try:
        parts = email.header.decode_header(text)
        out = []
        for chunk, cs in parts:
            if isinstance(chunk, bytes):
                out.append(chunk.decode(cs or "ascii", "replace"))
            else:
                out.append(chunk)
        return " ".join(" ".join(out).split())
    except (ValueError, LookupError):
        return " ".join(text.split())


def multiset(datas) -> Counter:
    return Counter(body_key(d) for d in datas)


def strip_added_headers(data: bytes, names=("Received", "X-TUID", "X-OfflineIMAP", "Delivered-To", "Return-Path",
                                            "Status", "X-Status")) -> bytes:
    """Removes headers a fetching client adds at the top (fetchmail's Received, mbsync's X-TUID)."""
    data = data.replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    out, i = [], 0
    pat = re.compile(rb"^(" + b"|".join(n.encode() for n in names) + rb"):", re.I)
    # only at the very top, where fetchers put them
    while i < len(lines) and pat.match(lines[i]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    out = lines[i:]
    # mbsync may put X-TUID anywhere in the header when it uploads a message.
    end = out.index(b"") if b"" in out else len(out)
    out = [ln for k, ln in enumerate(out) if k >= end or not ln.lower().startswith(b"x-tuid:")]
    return b"\n".join(out)
