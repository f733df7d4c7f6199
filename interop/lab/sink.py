#!/usr/bin/env python3
"""A small SMTP sink for the network lab (stdlib only): a receiving MTA whose behaviour a test chooses.

    sink.py --listen 198.51.100.11:25 --listen [2001:db8:100::11]:25 --maildirs DIR --events FILE
            [--hostname mx.b.test] [--defer-first N] [--reject-rcpt REGEX] [--defer-rcpt REGEX]
            [--starttls CERT KEY] [--no-pipelining]

Each accepted message goes, unchanged, into DIR/RCPT/new/ (one copy per recipient, the Maildir
layout of correo and of the lab's Postfix) and one JSON line into FILE: peer address, HELO, MAIL
FROM, RCPT TO list, the files, whether TLS was on. --defer-first N answers the first N DATA
transactions `451 4.3.0` (the retry tests: deliver once after a 4xx); --reject-rcpt answers `550 5.1.1`
to matching recipients, --defer-rcpt `450 4.2.0`. Limits: 512-octet command lines, 50 MB messages,
100 recipients, 5 minutes idle.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time

MAX_LINE = 1000
MAX_SIZE = 50 * 1024 * 1024
MAX_RCPT = 100
IDLE = 300

lock = threading.Lock()
counter = {"data": 0, "seq": 0}


class Handler(socketserver.StreamRequestHandler):
    timeout = IDLE

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self) -> bytes | None:
        line = self.rfile.readline(MAX_LINE + 2)
        if not line:
            return None
        return line

    def handle(self) -> None:  # noqa: C901 - one SMTP session, read as the RFC's sequence
        opts = self.server.opts
        peer = self.client_address[0]
        tls = False
        helo = None
        mail = None
        rcpts: list[str] = []
        self.reply(f"220 {opts.hostname} ESMTP lab sink")
        while True:
            try:
                raw = self.readline()
            except (OSError, ValueError):
                return
            if raw is None:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                helo, mail, rcpts = arg, None, []
                if verb == "HELO":
                    self.reply(f"250 {opts.hostname}")
                    continue
                ext = ["8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", f"SIZE {MAX_SIZE}"]
                if not opts.no_pipelining:
                    ext.append("PIPELINING")
                if opts.starttls and not tls:
                    ext.append("STARTTLS")
                lines = [opts.hostname] + ext
                self.wfile.write("".join(f"250{'-' if i < len(lines) - 1 else ' '}{x}\r\n" for i, x in enumerate(lines)).encode())
                self.wfile.flush()
            elif verb == "STARTTLS" and opts.starttls and not tls:
                self.reply("220 2.0.0 ready to start TLS")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(opts.starttls[0], opts.starttls[1])
                try:
                    self.connection = ctx.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                tls, helo, mail, rcpts = True, None, None, []
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                if helo is None:
                    self.reply("503 5.5.1 EHLO first")
                    continue
                mail, rcpts = _path(arg[5:]), []
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                rcpt = _path(arg[3:])
                if mail is None:
                    self.reply("503 5.5.1 MAIL first")
                elif len(rcpts) >= MAX_RCPT:
                    self.reply("452 4.5.3 too many recipients")
                elif not re.fullmatch(r"[A-Za-z0-9._+=-]+@[A-Za-z0-9.-]+", rcpt):
                    self.reply("553 5.1.3 the lab sink takes plain addresses only")
                elif opts.reject_rcpt and re.search(opts.reject_rcpt, rcpt):
                    self.reply("550 5.1.1 no such user here (lab sink)")
                elif opts.defer_rcpt and re.search(opts.defer_rcpt, rcpt):
                    self.reply("450 4.2.0 try again later (lab sink)")
                else:
                    rcpts.append(rcpt)
                    self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if mail is None or not rcpts:
                    self.reply("503 5.5.1 no valid recipients")
                    continue
                self.reply("354 end with <CRLF>.<CRLF>")
                data = self.read_data()
                if data is None:
                    return
                with lock:
                    counter["data"] += 1
                    defer = counter["data"] <= opts.defer_first
                if defer:
                    self.reply("451 4.3.0 deferred by the lab sink, try again")
                elif len(data) > MAX_SIZE:
                    self.reply("552 5.3.4 message too big")
                else:
                    files = store(opts, rcpts, data)
                    event = {"time": time.time(), "peer": peer, "helo": helo, "mail_from": mail, "rcpt_to": rcpts,
                             "tls": tls, "size": len(data), "files": files}
                    with lock:
                        with open(opts.events, "a") as f:
                            f.write(json.dumps(event) + "\n")
                            f.flush()
                            os.fsync(f.fileno())
                    self.reply("250 2.0.0 ok: stored")
                mail, rcpts = None, []
            elif verb == "RSET":
                mail, rcpts = None, []
                self.reply("250 2.0.0 ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.1 command not implemented")

    def read_data(self) -> bytes | None:
        chunks = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 2)
            if not line:
                return None
            if line == b".\r\n":
                return b"".join(chunks)
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size <= MAX_SIZE + 2:
                chunks.append(line)


def _path(arg: str) -> str:
    arg = arg.strip()
    m = re.match(r"<([^>]*)>", arg)
    return m.group(1) if m else arg.split(" ", 1)[0]


def store(opts, rcpts: list[str], data: bytes) -> list[str]:
    files = []
    with lock:
        counter["seq"] += 1
        seq = counter["seq"]
    for rcpt in rcpts:
        md = os.path.join(opts.maildirs, rcpt.lower())
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        name = f"{time.time():.6f}.{os.getpid()}_{seq}.{opts.hostname}"
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        final = os.path.join(md, "new", name)
        os.rename(tmp, final)
        files.append(final)
    return files


class Server4(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET


class Server6(Server4):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", action="append", required=True, help="ADDR:PORT or [ADDR6]:PORT")
    ap.add_argument("--maildirs", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--hostname", default="sink.test")
    ap.add_argument("--defer-first", type=int, default=0)
    ap.add_argument("--reject-rcpt")
    ap.add_argument("--defer-rcpt")
    ap.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--no-pipelining", action="store_true")
    opts = ap.parse_args()
    os.makedirs(opts.maildirs, exist_ok=True)
    servers = []
    for spec in opts.listen:
        m = re.fullmatch(r"\[([0-9a-fA-F:]+)\]:(\d+)|([0-9.]+):(\d+)", spec)
        if not m:
            ap.error(f"--listen {spec}: ADDR:PORT or [ADDR6]:PORT")
        if m.group(1):
            srv = Server6((m.group(1), int(m.group(2))), Handler)
        else:
            srv = Server4((m.group(3), int(m.group(4))), Handler)
        srv.opts = opts
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"sink: listening on {', '.join(opts.listen)}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
