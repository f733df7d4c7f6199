#!/usr/bin/env python3
"""Sends raw SMTP lines and prints each reply's code and text, one reply per output line. Lines are
given as arguments; `\\r`, `\\n` and `\\x..` escapes are understood, and a line is sent without an added
CRLF when it ends in `\\r\\n` or `\\n` already. `--tls` does STARTTLS first; `--implicit-tls` wraps
the socket from the start. `--expect N` reads N replies after sending everything in one write
(pipelining); otherwise each line is sent and answered in turn.

    python3 interop/smtp/probe.py --port 2525 "EHLO x" "MAIL FROM:<a@b.test>" "RCPT TO:<x@elsewhere.test>"
"""
import argparse
import socket
import ssl
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--expect", type=int)
    parser.add_argument("--connections", type=int, help="open this many connections and print each greeting")
    parser.add_argument("lines", nargs="*")
    args = parser.parse_args()
    if args.connections:
        held = []
        for _ in range(args.connections):
            sock = socket.create_connection((args.host, args.port), timeout=60)
            held.append(sock)
            print_reply(Reader(sock).reply())
        return 0
    sock = socket.create_connection((args.host, args.port), timeout=60)
    context = ssl._create_unverified_context()
    if args.implicit_tls:
        sock = context.wrap_socket(sock, server_hostname="localhost")
    reader = Reader(sock)
    print_reply(reader.reply())
    if args.tls:
        sock.sendall(b"EHLO probe.example\r\n")
        reader.reply()
        sock.sendall(b"STARTTLS\r\n")
        print_reply(reader.reply())
        sock = context.wrap_socket(sock, server_hostname="localhost")
        reader = Reader(sock)
    payloads = [encode(line) for line in args.lines]
    try:
        if args.expect is not None:
            sock.sendall(b"".join(payloads))
            for _ in range(args.expect):
                print_reply(reader.reply())
        else:
            for payload in payloads:
                sock.sendall(payload)
                print_reply(reader.reply())
    except (EOFError, ConnectionResetError, BrokenPipeError):
        print("CLOSED")
    return 0


def encode(line):
    data = line.encode("utf-8").decode("unicode_escape").encode("latin-1") if "\\" in line else line.encode("utf-8")
    return data if data.endswith(b"\n") else data + b"\r\n"


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def line(self):
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines


def print_reply(lines):
    print(lines[-1].decode("utf-8", errors="replace"))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
