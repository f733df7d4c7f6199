"""Hostile clients that attack with message content: a 100 MB IMAP literal, 100,000 header lines,
MIME nested 10,000 deep and a 1 GB SMTP DATA. Each case gets a running server and returns
(problems, figures); the runner adds the checks every case shares (see stress.py)."""

import asyncio
import contextlib
import smtplib
import time

from harness import (
    DOMAIN, PASSWORD, USER, SourceIMAP, in_thread, open_raw, read_line, read_until, stress_message,
)


async def imap_login(server):
    reader, writer = await open_raw(server.imap)
    await read_line(reader)
    writer.write(f'a LOGIN {USER} "{PASSWORD}"\r\n'.encode())
    reply = await read_until(reader, b"a ")
    if not reply.startswith(b"a OK"):
        raise RuntimeError(f"LOGIN answered {reply!r}")
    return reader, writer


async def huge_literal(server, quick):
    """A 100 MB APPEND literal: refused at once by APPENDLIMIT (no `+` continuation); the same sent
    as a non-synchronising LITERAL+ is refused without being buffered; a 40 MB one under the limit is
    streamed to disk and stored whole."""
    size = 100 * 1024 * 1024
    problems, figures = [], []
    reader, writer = await imap_login(server)
    started = time.monotonic()
    writer.write(f"b APPEND INBOX {{{size}}}\r\n".encode())
    reply = await read_line(reader)
    figures.append(f"{{100MB}} answered in {(time.monotonic() - started) * 1000:.0f} ms: "
                   f"{reply.decode(errors='replace').strip()[:50]}")
    if not reply.startswith(b"b NO") and not reply.startswith(b"b BAD"):
        problems.append(f"100 MB APPEND not refused at once: {reply[:60]!r}")
        writer.close()
        reader, writer = await imap_login(server)

    # LITERAL+ (RFC 7888): the client sends without waiting; the server must not keep what it reads.
    started = time.monotonic()
    chunk = b"z" * (1024 * 1024)
    sent = 0
    writer.write(f"c APPEND INBOX {{{size}+}}\r\n".encode())
    with contextlib.suppress(ConnectionError, OSError):
        while sent < size:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
        writer.write(b"\r\n")
        await writer.drain()
    reply = b""
    with contextlib.suppress(asyncio.TimeoutError, ConnectionError, OSError):
        reply = await read_until(reader, b"c ", timeout=30)
    figures.append(f"{{100MB+}} {sent // (1024 * 1024)} MB sent in {time.monotonic() - started:.1f}s, "
                   f"answer {reply.decode(errors='replace').strip()[:40] or 'connection closed'}")
    if reply.startswith(b"c OK"):
        problems.append("a 100 MB LITERAL+ APPEND over APPENDLIMIT was stored")
    writer.close()

    # Under the limit: streamed to a file, stored whole.
    big = 10 if quick else 40
    message = stress_message("literal", body=(b"a" * 998 + b"\r\n") * (big * 1024))
    reader, writer = await imap_login(server)
    started = time.monotonic()
    writer.write(f"d APPEND INBOX {{{len(message)}}}\r\n".encode())
    reply = await read_line(reader)
    if reply.startswith(b"+"):
        writer.write(message + b"\r\n")
        await writer.drain()
        reply = await read_until(reader, b"d ", timeout=60)
    if reply.startswith(b"d OK"):
        server.acknowledged += 1
    else:
        problems.append(f"{big} MB APPEND under the limit answered {reply[:60]!r}")
    figures.append(f"{big} MB APPEND stored in {time.monotonic() - started:.1f}s")
    writer.close()
    return problems, "; ".join(figures)


def smtp_send(server, message):
    """Sends one message from the attacker's address; returns (seconds, error or None)."""
    started = time.monotonic()
    try:
        with smtplib.SMTP("127.0.0.1", server.smtp, timeout=120, source_address=("127.0.0.1", 0)) as client:
            client.sendmail("bob@" + DOMAIN, [USER], message)
    except smtplib.SMTPException as error:
        return time.monotonic() - started, error
    server.acknowledged += 1
    return time.monotonic() - started, None


def imap_fetch_last(server, items, timeout=120):
    """FETCHes `items` of the newest message; returns (seconds, status, bytes of the response)."""
    client = SourceIMAP("127.0.0.1", server.imap, "127.0.0.1", timeout)
    try:
        client.login(USER, PASSWORD)
        _, data = client.select("INBOX")
        started = time.monotonic()
        status, response = client.fetch(data[0].decode(), items)
        seconds = time.monotonic() - started
        size = sum(len(part[1]) if isinstance(part, tuple) else len(part or b"") for part in response)
        client.logout()
        return seconds, status, size
    finally:
        with contextlib.suppress(OSError):
            client.shutdown()


async def many_header_lines(server, quick):
    """A message of 100,000 header lines: accepted (or refused) over SMTP without trouble, then its
    header, envelope and structure FETCHed over IMAP in bounded time."""
    lines = 100_000
    headers = b"".join(b"X-Stress-Header-%d: value %d\r\n" % (i, i) for i in range(lines))
    message = stress_message("headers", extra_headers=headers)
    seconds, error = await in_thread(smtp_send, server, message)
    figures = [f"{len(message) // 1024} KB sent in {seconds:.1f}s ({'refused: ' + str(error)[:60] if error else '250'})"]
    problems = []
    if error is None:
        fetch_seconds, status, size = await in_thread(
            imap_fetch_last, server, "(ENVELOPE BODYSTRUCTURE RFC822.SIZE BODY.PEEK[HEADER])")
        figures.append(f"FETCH header+envelope+structure {status} {size // 1024} KB in {fetch_seconds:.1f}s")
        if status != "OK" or size < len(headers):
            problems.append(f"FETCH of the header answered {status} with {size} bytes")
        if fetch_seconds > 20:
            problems.append(f"FETCH took {fetch_seconds:.1f}s")
    return problems, "; ".join(figures)


def nested_mime(depth):
    """multipart/mixed nested `depth` deep, one text part at the bottom, each level properly closed."""
    parts = [b"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"]
    for level in range(1, depth):
        parts.append(b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (level - 1, level))
    parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep inside\r\n" % (depth - 1))
    for level in range(depth - 1, -1, -1):
        parts.append(b"--b%d--\r\n" % level)
    return b"".join(parts)


async def deep_mime(server, quick):
    """MIME nested 10,000 deep: stored over SMTP, then BODYSTRUCTURE, a deep section and the text
    FETCHed over IMAP: answered (depth bounded), no stack overflow."""
    depth = 10_000
    mime = nested_mime(depth)
    headers_end = mime.index(b"\r\n\r\n") + 4
    message = stress_message("mime", extra_headers=b"MIME-Version: 1.0\r\n" + mime[:headers_end - 2],
                             body=mime[headers_end:])
    seconds, error = await in_thread(smtp_send, server, message)
    figures = [f"{depth} levels, {len(message) // 1024} KB sent in {seconds:.1f}s "
               f"({'refused: ' + str(error)[:60] if error else '250'})"]
    problems = []
    if error is None:
        for items in ("(BODYSTRUCTURE)", "(BODY.PEEK[" + ".".join(["1"] * 50) + "])", "(BODY.PEEK[TEXT])"):
            fetch_seconds, status, size = await in_thread(imap_fetch_last, server, items)
            figures.append(f"{items[:20]} {status} in {fetch_seconds:.1f}s")
            if status != "OK":
                problems.append(f"FETCH {items[:30]} answered {status}")
            if fetch_seconds > 20:
                problems.append(f"FETCH {items[:30]} took {fetch_seconds:.1f}s")
    return problems, "; ".join(figures)


async def huge_data(server, quick):
    """MAIL FROM SIZE=1000000000 refused at once (552); a 1 GB DATA without SIZE read as it streams
    and refused with 552 (nothing buffered, nothing stored); the session stays usable."""
    size = (200 if quick else 1024) * 1024 * 1024
    problems, figures = [], []
    reader, writer = await open_raw(server.smtp)
    await read_until(reader, b"220 ")
    writer.write(b"EHLO big.example.test\r\n")
    ehlo = []
    while True:
        line = await read_line(reader)
        ehlo.append(line)
        if not line or line[3:4] == b" ":
            break
    limit = next((line.split()[1] for line in ehlo if line[4:8].upper() == b"SIZE" and len(line.split()) > 1), None)
    figures.append(f"SIZE {int(limit) // (1024 * 1024) if limit else '?'} MB advertised")
    started = time.monotonic()
    writer.write(b"MAIL FROM:<bob@example.test> SIZE=1000000000\r\n")
    reply = await read_line(reader)
    figures.append(f"SIZE=1000000000 → {reply[:9].decode(errors='replace')} in "
                   f"{(time.monotonic() - started) * 1000:.0f} ms")
    if not reply.startswith(b"552"):
        problems.append(f"MAIL FROM SIZE=1000000000 answered {reply[:60]!r}")
    writer.write(f"MAIL FROM:<bob@example.test>\r\nRCPT TO:<{USER}>\r\nDATA\r\n".encode())
    for _ in range(2):
        await read_line(reader)
    reply = await read_line(reader)
    if not reply.startswith(b"354"):
        problems.append(f"DATA answered {reply[:60]!r}")
        return problems, "; ".join(figures)
    block = (b"X" * 78 + b"\r\n") * (1024 * 1024 // 80)
    started = time.monotonic()
    sent, early = 0, b""
    reply_task = asyncio.create_task(reader.readline())
    with contextlib.suppress(ConnectionError, OSError):
        while sent < size and not reply_task.done():
            writer.write(block)
            await writer.drain()
            sent += len(block)
        if not reply_task.done():
            writer.write(b".\r\n")
            await writer.drain()
    if reply_task.done():
        early = b" (early)"
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(reply_task), 60)
    reply = reply_task.result() if reply_task.done() and not reply_task.exception() else b""
    elapsed = time.monotonic() - started
    figures.append(f"{sent // (1024 * 1024)} MB DATA in {elapsed:.1f}s ({sent / elapsed / 1e6:.0f} MB/s) → "
                   f"{reply[:9].decode(errors='replace').strip() or 'closed'}{early.decode()}")
    if not reply.startswith(b"552"):
        problems.append(f"oversized DATA answered {reply[:60]!r}")
    writer.write(b"NOOP\r\n")
    with contextlib.suppress(ConnectionError, OSError, asyncio.TimeoutError):
        noop = await read_line(reader)
        if reply.startswith(b"552") and not early and not noop.startswith(b"250"):
            problems.append(f"session unusable after 552: NOOP answered {noop[:40]!r}")
    writer.close()
    return problems, "; ".join(figures)
