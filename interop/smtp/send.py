#!/usr/bin/env python3
"""Sends one message to correo's SMTP server with Python's smtplib (or a raw socket for BDAT and
pipelining), and prints each step's reply code. Exit status 0 means the server answered 250 to the
message; any refusal prints the code and exits 1. Used by Tests/SMTPServerTests and by hand:

    python3 interop/smtp/send.py --port 2525 --from a@example.test --to bob@example.test --message m.eml
"""
import argparse
import base64
import smtplib
import socket
import ssl
import sys


def tls_context(cafile):
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    return context


def send_smtplib(args, message):
    context = tls_context(args.cafile)
    if args.implicit_tls:
        client = smtplib.SMTP_SSL(args.host, args.port, context=context, timeout=120)
    else:
        client = smtplib.SMTP(args.host, args.port, timeout=120)
    with client:
        client.ehlo("client.example")
        if args.starttls:
            client.starttls(context=context)
            client.ehlo("client.example")
        if args.auth:
            authenticate(client, args)
        options = []
        if args.smtputf8:
            options.append("SMTPUTF8")
        if args.body:
            options.append("BODY=" + args.body)
        if args.no_size:
            client.esmtp_features.pop("size", None)
        try:
            refused = client.sendmail(args.sender, args.to, message, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            for recipient, (code, text) in error.recipients.items():
                print("RCPT %s %d %s" % (recipient, code, text.decode(errors="replace")))
            return 1
        except smtplib.SMTPSenderRefused as error:
            print("MAIL %d %s" % (error.smtp_code, error.smtp_error.decode(errors="replace")))
            return 1
        except smtplib.SMTPDataError as error:
            print("DATA %d %s" % (error.smtp_code, error.smtp_error.decode(errors="replace")))
            return 1
        for recipient, (code, text) in refused.items():
            print("RCPT %s %d %s" % (recipient, code, text.decode(errors="replace")))
        print("DATA 250")
        return 0


def authenticate(client, args):
    client.user, client.password = args.user, args.password
    try:
        if args.auth == "PLAIN":
            client.auth("PLAIN", client.auth_plain)
        else:
            client.auth("LOGIN", client.auth_login, initial_response_ok=False)
    except smtplib.SMTPAuthenticationError as error:
        print("AUTH %d %s" % (error.smtp_code, error.smtp_error.decode(errors="replace")))
        sys.exit(1)
    except smtplib.SMTPNotSupportedError:
        print("AUTH not offered")
        sys.exit(1)
    print("AUTH 235")


class Raw:
    """A plain socket conversation, for what smtplib cannot do (BDAT, real pipelining)."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=120)
        self.buffer = b""

    def line(self):
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return int(lines[-1][:3]), b"\n".join(lines)


def send_bdat(args, message):
    raw = Raw(args.host, args.port)
    raw.reply()
    commands = [b"EHLO client.example\r\n"]
    options = b" SMTPUTF8" if args.smtputf8 else b""
    if args.body:
        options += b" BODY=" + args.body.encode()
    commands.append(b"MAIL FROM:<" + args.sender.encode() + b">" + options + b"\r\n")
    commands += [b"RCPT TO:<" + recipient.encode() + b">\r\n" for recipient in args.to]
    raw.sock.sendall(b"".join(commands))  # RFC 2920: the whole envelope in one write
    codes = [raw.reply()[0] for _ in commands]
    print("ENVELOPE " + " ".join(str(code) for code in codes))
    if codes[1] != 250 or 250 not in codes[2:]:
        return 1
    chunk = args.chunk or len(message) or 1
    pieces = [message[i:i + chunk] for i in range(0, len(message), chunk)] or [b""]
    for index, piece in enumerate(pieces):
        last = b" LAST" if index == len(pieces) - 1 else b""
        raw.sock.sendall(b"BDAT %d%s\r\n" % (len(piece), last) + piece)
    for index in range(len(pieces)):
        code, text = raw.reply()
        if code != 250:
            print("BDAT %d %s" % (code, text.decode(errors="replace")))
            return 1
    print("DATA 250")
    raw.sock.sendall(b"QUIT\r\n")
    raw.reply()
    return 0


def send_pipelined(args, message, count):
    """Sends `count` messages with everything (envelope, DATA, content) in as few writes as RFC 2920 allows."""
    raw = Raw(args.host, args.port)
    raw.reply()
    raw.sock.sendall(b"EHLO client.example\r\n")
    raw.reply()
    stuffed = b"\r\n".join((b"." + line if line.startswith(b".") else line) for line in message.split(b"\r\n"))
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    accepted = 0
    for _ in range(count):
        envelope = b"MAIL FROM:<" + args.sender.encode() + b">\r\n"
        envelope += b"".join(b"RCPT TO:<" + r.encode() + b">\r\n" for r in args.to) + b"DATA\r\n"
        raw.sock.sendall(envelope)
        codes = [raw.reply()[0] for _ in range(len(args.to) + 2)]
        if codes[-1] != 354:
            print("ENVELOPE " + " ".join(str(c) for c in codes))
            return 1
        raw.sock.sendall(stuffed + b".\r\n")
        code, _ = raw.reply()
        accepted += code == 250
    raw.sock.sendall(b"QUIT\r\n")
    raw.reply()
    print("DATA 250 x%d" % accepted)
    return 0 if accepted == count else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--from", dest="sender", required=True)
    parser.add_argument("--to", action="append", required=True)
    parser.add_argument("--message", required=True, help="file with the message, sent as is")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--cafile")
    parser.add_argument("--auth", choices=["PLAIN", "LOGIN"])
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--smtputf8", action="store_true")
    parser.add_argument("--body", choices=["7BIT", "8BITMIME", "BINARYMIME"])
    parser.add_argument("--no-size", action="store_true", help="do not declare SIZE= (smtplib does by default)")
    parser.add_argument("--bdat", action="store_true")
    parser.add_argument("--chunk", type=int, help="BDAT chunk size")
    parser.add_argument("--pipeline", type=int, help="send this many copies, pipelined")
    args = parser.parse_args()
    with open(args.message, "rb") as handle:
        message = handle.read()
    if args.bdat:
        return send_bdat(args, message)
    if args.pipeline:
        return send_pipelined(args, message, args.pipeline)
    return send_smtplib(args, message)


if __name__ == "__main__":
    sys.exit(main())
