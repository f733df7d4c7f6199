#!/usr/bin/env python3
"""SMTP ingest: N messages over C connections to an SMTP server that delivers into Maildir.

    smtp_ingest.py --host 127.0.0.1 --port 25025 --maildir DIR --count 2000 --size 2000 --connections 16
                   [--domain bench.test] [--users 16] [--pid SERVER_PID] [--timeout 300]

Each connection sends messages one after another (MAIL, RCPT and DATA pipelined when the server offers
PIPELINING, then the content); the latency of a message runs from writing MAIL FROM to reading the 250
after the content. Message i goes to u(i mod USERS)@DOMAIN. After the last 250, the driver waits until
N new files are in the new/ folders under --maildir (every `*/new` below it, or DIR/new itself), so
msgs/s is end to end: from the first connection to the last message in Maildir.
With --pid, the server's process tree (that pid and its descendants) is measured: CPU seconds used during
the run and peak RSS/PSS sampled every 100 ms.
Prints one JSON object.
"""

import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstat  # noqa: E402

WORDS = (
    "mail server queue delivery message header body relay domain inbox folder client network packet "
    "socket storage index search flag thread reply forward draft attachment report benchmark latency"
).split()


def make_message(i, size, rcpt):
    """A deterministic RFC 5322 message of about `size` bytes, CRLF line ends, dot-stuffed."""
    head = (
        f"From: Sender {i % 97} <sender{i % 97}@example.org>\r\n"
        f"To: <{rcpt}>\r\n"
        f"Subject: benchmark message {i} {WORDS[i % len(WORDS)]}\r\n"
        f"Date: Thu, 26 Nov 2026 12:00:00 +0000\r\n"
        f"Message-ID: <bench.{i}.{size}@example.org>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    )
    lines, total, k = [], len(head), i
    while total < size:
        words = []
        while sum(len(w) + 1 for w in words) < 70:
            words.append(WORDS[k % len(WORDS)])
            k = (k * 1103515245 + 12345) & 0x7FFFFFFF
        line = " ".join(words) + "\r\n"
        lines.append(line)
        total += len(line)
    return (head + "".join(lines)).encode()


async def read_reply(reader):
    """Reads one (possibly multi-line) SMTP reply; returns (code, text)."""
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed by server")
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), b"".join(lines)


async def connection(args, next_index, latencies, errors):
    reader, writer = await asyncio.open_connection(args.host, args.port, limit=1 << 20)
    code, _ = await read_reply(reader)
    if code != 220:
        raise RuntimeError(f"banner {code}")
    writer.write(b"EHLO bench.client\r\n")
    code, text = await read_reply(reader)
    if code != 250:
        raise RuntimeError(f"EHLO {code}")
    pipelining = b"PIPELINING" in text.upper()
    while True:
        i = next_index[0]
        if i >= args.count:
            break
        next_index[0] += 1
        rcpt = f"u{i % args.users}@{args.domain}"
        body = args.bodies[i % len(args.bodies)]
        envelope = [f"MAIL FROM:<sender{i % 97}@example.org>\r\n".encode(), f"RCPT TO:<{rcpt}>\r\n".encode(),
                    b"DATA\r\n"]
        start = time.perf_counter()
        if pipelining:
            writer.write(b"".join(envelope))
            codes = [(await read_reply(reader))[0] for _ in envelope]
        else:
            codes = []
            for cmd in envelope:
                writer.write(cmd)
                codes.append((await read_reply(reader))[0])
        if codes != [250, 250, 354]:
            errors.append(f"message {i}: envelope replies {codes}")
            writer.write(b"RSET\r\n")
            await read_reply(reader)
            continue
        writer.write(body.replace(b"{RCPT}", rcpt.encode()))
        writer.write(b".\r\n")
        code, text = await read_reply(reader)
        if code != 250:
            errors.append(f"message {i}: {text!r}")
            continue
        latencies.append(time.perf_counter() - start)
    writer.write(b"QUIT\r\n")
    try:
        await asyncio.wait_for(read_reply(reader), 5)
    except (asyncio.TimeoutError, ConnectionError):
        pass
    writer.close()


def new_folders(root):
    if os.path.isdir(os.path.join(root, "new")):
        return [os.path.join(root, "new")]
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        if os.path.basename(dirpath) == "new":
            found.append(dirpath)
            dirnames.clear()
    return found


def count_new(root):
    total = 0
    for folder in new_folders(root):
        try:
            total += sum(1 for e in os.scandir(folder) if not e.name.startswith("."))
        except FileNotFoundError:
            pass
    return total


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


async def run(args):
    baseline = count_new(args.maildir) if args.maildir else 0
    next_index, latencies, errors = [0], [], []
    start = time.perf_counter()
    tasks = [asyncio.create_task(connection(args, next_index, latencies, errors)) for _ in range(args.connections)]
    await asyncio.gather(*tasks)
    sent_at = time.perf_counter()
    expected = baseline + args.count - len(errors)
    while args.maildir and count_new(args.maildir) < expected:
        if time.perf_counter() - start > args.timeout:
            raise TimeoutError(f"only {count_new(args.maildir) - baseline} of {args.count} in Maildir/new")
        await asyncio.sleep(0.01)
    done = time.perf_counter()
    return {
        "messages": args.count,
        "size": args.size,
        "connections": args.connections,
        "errors": len(errors),
        "first_errors": errors[:3],
        "accept_s": round(sent_at - start, 3),
        "elapsed_s": round(done - start, 3),
        "msgs_per_s": round(args.count / (done - start), 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 3) if latencies else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", help="Maildir, or a folder holding Maildirs (without it: until the last 250, "
                   "e.g. to measure a sink)")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--domain", default="bench.test")
    p.add_argument("--users", type=int, default=16)
    p.add_argument("--pid", type=int, help="the server's root process: measure its tree")
    args = p.parse_args()
    # A few distinct bodies, built once, so the driver's own CPU stays small.
    args.bodies = [make_message(i, args.size, "{RCPT}") for i in range(min(args.count, 64))]
    result = {"load_average": procstat.load_average()}
    if args.pid:
        with procstat.TreeSampler(args.pid) as sampler:
            result.update(asyncio.run(asyncio.wait_for(run(args), args.timeout + 5)))
        result.update(sampler.summary())
    else:
        result.update(asyncio.run(asyncio.wait_for(run(args), args.timeout + 5)))
    print(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
