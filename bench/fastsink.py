#!/usr/bin/env python3
"""A fast SMTP sink for the mail-merge benchmark: asyncio protocol, PIPELINING, STARTTLS, AUTH PLAIN/LOGIN;
accepts every message and keeps only counts.

    fastsink.py --port P [--tls CERT KEY] [--auth USER:PASSWORD] [--ready-file F]

Same command line and same JSON line on SIGTERM as sink.py (aiosmtpd), but several times faster: aiosmtpd
takes only a few hundred messages a second on this machine, as fast as mailmerge itself sends, so it
cannot tell a faster client from a slower one. With --tls, STARTTLS is offered and required; with --auth,
AUTH is offered (after STARTTLS when --tls is given) and required before MAIL.
"""

import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys
import time

MAX_LINE = 4096


class Stats:
    messages = recipients = bytes = 0
    first = last = None


class Session(asyncio.Protocol):
    def __init__(self, cfg, stats):
        self.cfg = cfg
        self.stats = stats
        self.buf = bytearray()
        self.in_data = False
        self.scan = 0
        self.tls = False
        self.authed = cfg.auth is None
        self.pending_auth = None  # "plain", "login-user", "login-pass"
        self.login_user = b""
        self.rcpts = 0
        self.paused = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 fastsink.bench.test ESMTP\r\n")

    def data_received(self, data):
        self.buf += data
        if not self.paused:
            self.process()

    def process(self):
        out = []
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n", max(0, self.scan - 4))
                if end < 0 and self.buf.startswith(b".\r\n"):
                    end, cut = 0, 3
                elif end >= 0:
                    cut = end + 5
                else:
                    self.scan = len(self.buf)
                    break
                self.stats.bytes += end
                del self.buf[:cut]
                self.in_data = False
                self.scan = 0
                self.stats.messages += 1
                self.stats.recipients += self.rcpts
                now = time.time()
                self.stats.first = self.stats.first or now
                self.stats.last = now
                self.rcpts = 0
                out.append(b"250 2.0.0 OK\r\n")
                continue
            eol = self.buf.find(b"\r\n")
            if eol < 0:
                if len(self.buf) > MAX_LINE:
                    out.append(b"500 5.5.2 line too long\r\n")
                    self.buf.clear()
                break
            line = bytes(self.buf[:eol])
            del self.buf[: eol + 2]
            reply, action = self.command(line)
            out.append(reply)
            if action == "starttls":
                self.transport.write(b"".join(out))
                # Stop reading now: the client's TLS hello must reach the TLS layer, not this protocol,
                # and start_tls() only runs at the loop's next turn.
                self.transport.pause_reading()
                self.paused = True
                self.buf.clear()  # RFC 3207: nothing pipelined after STARTTLS counts
                asyncio.ensure_future(self.starttls())
                return
            if action == "quit":
                self.transport.write(b"".join(out))
                self.transport.close()
                return
        if out:
            self.transport.write(b"".join(out))

    async def starttls(self):
        loop = asyncio.get_running_loop()
        try:
            self.transport = await loop.start_tls(self.transport, self, self.cfg.ctx, server_side=True)
        except (ssl.SSLError, ConnectionError, OSError):
            self.transport.abort()
            return
        self.tls = True
        self.paused = False
        # The client may have sent its EHLO in the same read as its last handshake message: it is already
        # in the buffer (data_received ran while paused).
        if self.buf:
            self.process()

    def command(self, line):
        if self.pending_auth:
            return self.auth_step(line), None
        verb = line[:4].upper()
        cfg = self.cfg
        if verb in (b"EHLO", b"HELO"):
            caps = [b"fastsink.bench.test", b"PIPELINING", b"SIZE 67108864", b"8BITMIME", b"ENHANCEDSTATUSCODES"]
            if cfg.ctx and not self.tls:
                caps.append(b"STARTTLS")
            if cfg.auth and (self.tls or not cfg.ctx):
                caps.append(b"AUTH PLAIN LOGIN")
            return b"".join(b"250-" + c + b"\r\n" for c in caps[:-1]) + b"250 " + caps[-1] + b"\r\n", None
        if verb == b"STAR" and line.upper() == b"STARTTLS" and cfg.ctx and not self.tls:
            return b"220 2.0.0 ready to start TLS\r\n", "starttls"
        if verb == b"AUTH":
            if not cfg.auth or (cfg.ctx and not self.tls):
                return b"503 5.5.1 AUTH not available\r\n", None
            parts = line.split()
            mech = parts[1].upper() if len(parts) > 1 else b""
            if mech == b"PLAIN":
                if len(parts) > 2:
                    return self.check_plain(parts[2]), None
                self.pending_auth = "plain"
                return b"334 \r\n", None
            if mech == b"LOGIN":
                if len(parts) > 2:
                    self.login_user = base64.b64decode(parts[2])
                    self.pending_auth = "login-pass"
                    return b"334 UGFzc3dvcmQ6\r\n", None
                self.pending_auth = "login-user"
                return b"334 VXNlcm5hbWU6\r\n", None
            return b"504 5.5.4 mechanism not supported\r\n", None
        if cfg.ctx and not self.tls and verb in (b"MAIL", b"RCPT", b"DATA"):
            return b"530 5.7.0 must issue STARTTLS first\r\n", None
        if verb == b"MAIL":
            if not self.authed:
                return b"530 5.7.0 authentication required\r\n", None
            self.rcpts = 0
            return b"250 2.1.0 OK\r\n", None
        if verb == b"RCPT":
            self.rcpts += 1
            return b"250 2.1.5 OK\r\n", None
        if verb == b"DATA":
            if not self.rcpts:
                return b"503 5.5.1 no recipients\r\n", None
            self.in_data = True
            self.scan = 0
            return b"354 end with <CRLF>.<CRLF>\r\n", None
        if verb in (b"RSET", b"NOOP"):
            self.rcpts = 0 if verb == b"RSET" else self.rcpts
            return b"250 2.0.0 OK\r\n", None
        if verb == b"QUIT":
            return b"221 2.0.0 bye\r\n", "quit"
        return b"502 5.5.2 command not recognized\r\n", None

    def check_plain(self, b64):
        try:
            _, user, password = base64.b64decode(b64).split(b"\0", 2)
        except ValueError:
            return b"501 5.5.2 bad AUTH PLAIN\r\n"
        return self.verdict(user, password)

    def verdict(self, user, password):
        if (user, password) == self.cfg.auth:
            self.authed = True
            return b"235 2.7.0 authenticated\r\n"
        return b"535 5.7.8 bad credentials\r\n"

    def auth_step(self, line):
        step, self.pending_auth = self.pending_auth, None
        if line == b"*":
            return b"501 5.0.0 AUTH aborted\r\n"
        if step == "plain":
            return self.check_plain(line)
        if step == "login-user":
            self.login_user = base64.b64decode(line)
            self.pending_auth = "login-pass"
            return b"334 UGFzc3dvcmQ6\r\n"
        return self.verdict(self.login_user, base64.b64decode(line))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--ready-file")
    args = p.parse_args()

    class Cfg:
        ctx = None
        auth = None

    cfg = Cfg()
    if args.tls:
        cfg.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cfg.ctx.load_cert_chain(*args.tls)
    if args.auth:
        user, password = args.auth.encode().split(b":", 1)
        cfg.auth = (user, password)
    stats = Stats()

    async def serve():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, stop.set)
        server = await loop.create_server(lambda: Session(cfg, stats), "127.0.0.1", args.port, backlog=1024)
        if args.ready_file:
            open(args.ready_file, "w").close()
        await stop.wait()
        server.close()

    asyncio.run(serve())
    t = os.times()
    print(json.dumps({"messages": stats.messages, "recipients": stats.recipients, "bytes": stats.bytes,
                      "sink_cpu_s": round(t.user + t.system, 3),
                      "first_to_last_s": round((stats.last or 0) - (stats.first or 0), 3)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
