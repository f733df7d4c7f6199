#!/usr/bin/env python3
"""A test SMTP sink for correo send, on aiosmtpd (pip install aiosmtpd).

Listens on 127.0.0.1 (port 0 by default: the system picks), prints "PORT <n>" on stdout, and writes each
message it accepts to OUTDIR, one file per recipient: <recipient>.eml (with -2, -3... if one comes again).
Runs until stdin closes or it is killed.

Options:
  --outdir DIR             where messages go (required)
  --port N                 the port (default 0)
  --cert PEM --key PEM     offer STARTTLS with this certificate
  --require-tls            refuse MAIL before STARTTLS
  --implicit-tls           TLS from the first byte (SMTPS, RFC 8314) with --cert/--key, no STARTTLS
  --auth USER:PASSWORD     offer AUTH PLAIN/LOGIN and require it
  --reject ADDR=CODE TEXT  answer RCPT TO:<ADDR> with this reply every time (repeatable)
  --reject-once ADDR=CODE TEXT  answer it the first time only, then accept (repeatable)
  --pipelining             advertise PIPELINING (aiosmtpd reads pipelined commands in order anyway)
  --size N                 advertise SIZE N and refuse bigger messages
"""
import argparse
import logging
import asyncio
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, outdir, reject, reject_once, pipelining):
        self.outdir = outdir
        self.reject = reject
        self.reject_once = dict(reject_once)
        self.pipelining = pipelining
        self.lock = threading.Lock()
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_exception(self, error):
        logging.exception("sink error", exc_info=error)
        return "451 4.3.0 sink error: %s" % error

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.reject:
            return self.reject[key]
        if key in self.reject_once:
            return self.reject_once.pop(key)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        for recipient in envelope.rcpt_tos:
            base = os.path.join(self.outdir, recipient.replace("/", "_"))
            path = base + ".eml"
            suffix = 2
            while os.path.exists(path):
                path = "%s-%d.eml" % (base, suffix)
                suffix += 1
            with open(path + ".tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(path + ".tmp", path)
        return "250 2.0.0 OK queued as sink-%d" % number


def parse_rules(values):
    rules = {}
    for value in values or []:
        address, reply = value.split("=", 1)
        rules[address.lower()] = reply
    return rules


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--outdir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--require-tls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--reject", action="append")
    parser.add_argument("--reject-once", action="append")
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--size", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            # handled=False: aiosmtpd then answers 535 itself on failure.
            return AuthResult(success=ok, handled=False)

    sink = Sink(args.outdir, parse_rules(args.reject), parse_rules(args.reject_once), args.pipelining)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            sink,
            hostname="sink.test",
            tls_context=None if args.implicit_tls else context,
            require_starttls=args.require_tls,
            authenticator=authenticator,
            auth_required=bool(args.auth),
            auth_require_tls=bool(args.cert) and not args.implicit_tls,
            enable_SMTPUTF8=True,
            data_size_limit=args.size or None,
            loop=loop,
        )

    server = await loop.create_server(
        factory, host="127.0.0.1", port=args.port, ssl=context if args.implicit_tls else None
    )
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    # Stop when the test closes our stdin (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
