"""A small, strict IMAP4rev1 client for test harnesses (stdlib only).

Unlike imaplib it keeps the wire as bytes and parses every response into plain Python
structures, so two servers' answers can be compared as data:

    NIL          -> None
    "quoted"     -> bytes
    {n} literal  -> bytes
    atom / num   -> str (numbers stay str; callers convert)
    ( ... )      -> list

Response lines are (tag, [tokens]) with literals inlined.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field


class IMAPError(Exception):
    pass


ATOM_STOP = b" ()\r\n"


class Parser:
    """Parses one response (a line with inlined literals) into tokens."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def parse_all(self) -> list:
        out = []
        while True:
            self.skip_sp()
            if self.pos >= len(self.data):
                return out
            out.append(self.value())

    def skip_sp(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in b" \r\n":
            self.pos += 1

    def value(self):
        d = self.data
        c = d[self.pos : self.pos + 1]
        if c == b"(":
            self.pos += 1
            items = []
            while True:
                self.skip_sp()
                if self.pos >= len(d):
                    raise IMAPError("unterminated list")
                if d[self.pos : self.pos + 1] == b")":
                    self.pos += 1
                    return items
                items.append(self.value())
        if c == b'"':
            self.pos += 1
            buf = bytearray()
            while self.pos < len(d):
                ch = d[self.pos]
                if ch == 0x5C:  # backslash
                    buf.append(d[self.pos + 1])
                    self.pos += 2
                    continue
                if ch == 0x22:
                    self.pos += 1
                    return bytes(buf)
                buf.append(ch)
                self.pos += 1
            raise IMAPError("unterminated quoted string")
        if c == b"{" or (c == b"~" and d[self.pos + 1 : self.pos + 2] == b"{"):
            if c == b"~":
                self.pos += 1
            end = d.index(b"}", self.pos)
            n = int(d[self.pos + 1 : end].rstrip(b"+"))
            start = end + 3  # "}\r\n"
            self.pos = start + n
            return d[start : start + n]
        return self.atom()

    def atom(self):
        d = self.data
        start = self.pos
        while self.pos < len(d) and d[self.pos] not in ATOM_STOP:
            if d[self.pos : self.pos + 1] == b"[":
                depth = 0
                while self.pos < len(d):
                    ch = d[self.pos : self.pos + 1]
                    if ch == b"[":
                        depth += 1
                    elif ch == b"]":
                        depth -= 1
                        if depth == 0:
                            break
                    self.pos += 1
            self.pos += 1
        text = d[start : self.pos].decode("latin-1")
        if text.upper() == "NIL":
            return None
        if text == "":
            raise IMAPError(f"unexpected byte {d[self.pos:self.pos + 1]!r} at {self.pos}")
        return text


@dataclass
class Result:
    status: str
    text: str
    untagged: list = field(default_factory=list)  # each: list of tokens, "*" removed
    raw: list = field(default_factory=list)  # each untagged response's raw bytes


class Client:
    """A synchronous IMAP connection with one command in flight at a time."""

    def __init__(self, host: str, port: int, tls: bool = False, timeout: float = 30.0):
        sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buf = b""
        self.tag_n = 0
        self.greeting = self.read_response()
        self.capabilities: set[str] = set()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise IMAPError("connection closed by server")
        self.buf += chunk

    def read_response(self) -> bytes:
        """One response: a line plus any literals it announces, ending in CRLF."""
        out = bytearray()
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            idx = self.buf.index(b"\r\n")
            line = self.buf[: idx + 2]
            self.buf = self.buf[idx + 2 :]
            out += line
            stripped = line[:-2]
            if stripped.endswith(b"}") and b"{" in stripped:
                num = stripped[stripped.rindex(b"{") + 1 : -1].rstrip(b"+")
                if num.isdigit():
                    n = int(num)
                    while len(self.buf) < n:
                        self._fill()
                    out += self.buf[:n]
                    self.buf = self.buf[n:]
                    continue
            return bytes(out)

    def next_tag(self) -> str:
        self.tag_n += 1
        return f"T{self.tag_n:04d}"

    def command(self, cmd: bytes | str, *, literals: list[bytes] | None = None) -> Result:
        """Sends cmd (with {n} literals sent after continuation) and collects the result."""
        if isinstance(cmd, str):
            cmd = cmd.encode()
        tag = self.next_tag()
        parts = cmd.split(b"\x00")  # NUL marks where each literal goes
        literals = literals or []
        self.sock.sendall(tag.encode() + b" " + parts[0])
        for lit, rest in zip(literals, parts[1:]):
            self.sock.sendall(b"{%d}\r\n" % len(lit))
            while True:
                resp = self.read_response()
                if resp.startswith(b"+"):
                    break
                if resp.startswith(tag.encode() + b" "):
                    return self._tagged(resp, Result("", ""))
            self.sock.sendall(lit + rest)
        self.sock.sendall(b"\r\n")
        result = Result("", "")
        while True:
            resp = self.read_response()
            if resp.startswith(b"* "):
                result.raw.append(resp)
                result.untagged.append(Parser(resp[2:]).parse_all())
            elif resp.startswith(tag.encode() + b" "):
                return self._tagged(resp, result)
            elif resp.startswith(b"+"):
                raise IMAPError(f"unexpected continuation for {cmd[:60]!r}")

    @staticmethod
    def _tagged(resp: bytes, result: Result) -> Result:
        rest = resp.split(b" ", 1)[1].rstrip(b"\r\n")
        status, _, text = rest.partition(b" ")
        result.status = status.decode().upper()
        result.text = text.decode("utf-8", "replace")
        return result

    def ok(self, cmd: bytes | str, **kw) -> Result:
        r = self.command(cmd, **kw)
        if r.status != "OK":
            shown = cmd if isinstance(cmd, str) else cmd[:80].decode("latin-1")
            raise IMAPError(f"{shown!r} -> {r.status} {r.text}")
        return r

    def login(self, user: str, password: str) -> Result:
        r = self.command("LOGIN \x00 \x00", literals=[user.encode(), password.encode()])
        if r.status != "OK":
            raise IMAPError(f"LOGIN failed: {r.status} {r.text}")
        caps = self.ok("CAPABILITY")
        for u in caps.untagged:
            if u and isinstance(u[0], str) and u[0].upper() == "CAPABILITY":
                self.capabilities = {str(x).upper() for x in u[1:]}
        return r


def fetch_items(untagged: list, seq: int | None = None) -> dict[int, dict[str, object]]:
    """Merges `* n FETCH (...)` responses into {n: {ITEM-NAME: value}} (names upper-cased)."""
    out: dict[int, dict[str, object]] = {}
    for u in untagged:
        if len(u) >= 3 and isinstance(u[1], str) and u[1].upper() == "FETCH" and isinstance(u[2], list):
            n = int(u[0])
            if seq is not None and n != seq:
                continue
            items = out.setdefault(n, {})
            lst = u[2]
            for i in range(0, len(lst) - 1, 2):
                items[normalise_item_name(str(lst[i]))] = lst[i + 1]
    return out


def normalise_item_name(name: str) -> str:
    """`body[header.fields ("From" to)]<0>` -> `BODY[HEADER.FIELDS (FROM TO)]<0>`."""
    s = name.upper().replace('"', "")
    return " ".join(s.split())


def quote(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
