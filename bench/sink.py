#!/usr/bin/env python3
"""An aiosmtpd SMTP sink for the mail-merge benchmark: accepts every message and keeps only counts.

    sink.py --port P [--tls CERT KEY] [--auth USER:PASSWORD]

With --tls it offers STARTTLS and requires it; with --auth it offers AUTH PLAIN/LOGIN (after STARTTLS
when --tls is given) and requires it. On SIGTERM or SIGINT it stops and prints one JSON line: messages,
recipients and bytes received, and its own CPU seconds (a sink near 1 CPU-second per second is the
bottleneck, not the client).
"""

import argparse
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self):
        self.messages = self.recipients = self.bytes = 0
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        self.first = self.first or now
        self.last = now
        self.messages += 1
        self.recipients += len(envelope.rcpt_tos)
        self.bytes += len(envelope.original_content or b"")
        return "250 2.0.0 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--ready-file", help="created once the sink listens")
    args = p.parse_args()
    handler = Handler()
    kwargs = {"hostname": "127.0.0.1", "port": args.port, "server_hostname": "sink.bench.test",
              "data_size_limit": 64 * 1024 * 1024, "decode_data": False}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*args.tls)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if args.auth:
        user, password = args.auth.encode().split(b":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user and auth_data.password == password
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.tls))
    else:
        kwargs.update(auth_require_tls=False)
    # Block the stop signals before the server thread starts, so that it inherits the mask and only
    # sigwait() below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(handler, **kwargs)
    controller.start()
    if args.ready_file:
        open(args.ready_file, "w").close()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    t = os.times()
    print(json.dumps({"messages": handler.messages, "recipients": handler.recipients, "bytes": handler.bytes,
                      "sink_cpu_s": round(t.user + t.system, 3),
                      "first_to_last_s": round((handler.last or 0) - (handler.first or 0), 3)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
