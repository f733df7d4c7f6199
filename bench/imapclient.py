"""A small, fast, blocking IMAP client for timing: sends a tagged command and reads to its tagged reply,
skipping literals by their byte count (so message content never confuses it) and counting untagged
responses. Kept minimal so that the client costs far less than the server it measures."""

import re
import socket
import time

LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class IMAPError(Exception):
    pass


class Client:
    def __init__(self, host, port, timeout=600):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.tag = 0
        self.greeting = self._line()

    def _fill(self):
        if self.pos > 1 << 20:
            del self.buf[: self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise IMAPError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            eol = self.buf.find(b"\r\n", self.pos)
            if eol >= 0:
                line = bytes(self.buf[self.pos : eol])
                self.pos = eol + 2
                return line
            self._fill()

    def _skip(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        self.pos += n

    def command(self, text, collect=False):
        """Sends `text`, reads to its tagged reply. Returns (status line, untagged count, [untagged lines])."""
        self.tag += 1
        tag = b"b%d" % self.tag
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        return self.read_until(tag, collect)

    def read_until(self, tag, collect=False):
        untagged, lines = 0, []
        prefix = tag + b" "
        while True:
            line = self._line()
            # A response line may carry several literals: skip each, then read on to the line's real end.
            first = line
            while True:
                m = LITERAL.search(line)
                if not m:
                    break
                self._skip(int(m.group(1)))
                line = self._line()
            if first.startswith(b"* "):
                untagged += 1
                if collect:
                    lines.append(first)
            elif first.startswith(prefix):
                status = first[len(prefix) :]
                if not status.startswith(b"OK"):
                    raise IMAPError(f"{tag.decode()} {status.decode(errors='replace')}")
                return status, untagged, lines
            # continuation requests (+) are not expected here

    def timed(self, text, collect=False):
        start = time.perf_counter()
        status, untagged, lines = self.command(text, collect)
        return time.perf_counter() - start, untagged, lines

    def login(self, user, password):
        def quote(s):
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

        return self.command(f"LOGIN {quote(user)} {quote(password)}")

    def close(self):
        try:
            self.command("LOGOUT")
        except (IMAPError, OSError):
            pass
        self.sock.close()
