"""Hostile clients that attack with connections: slowloris, idle hordes, the connection caps, password
guessing, pipelined floods and connections that vanish half-way. Each case gets a running server and
returns (problems, figures); the runner adds the checks every case shares (see stress.py)."""

import asyncio
import contextlib
import time

from harness import (
    ATTACK_SOURCE, NORMAL_SOURCE, PASSWORD, USER, WRONG_PASSWORD, abort, in_thread, normal_clients,
    normal_imap, normal_submission, open_raw, plain, read_line, read_until, stress_message,
)

SLOW_TIMEOUT = 2  # seconds: --command-timeout and --login-timeout for the slowloris case


async def slowloris(server, quick):
    """1,000 connections trickling one octet a second, half SMTP, half IMAP: each must be cut by the
    command/login deadline although bytes keep coming, and a normal client is served meanwhile."""
    count = 200 if quick else 1000
    problems, lifetimes = [], []

    async def trickler(port, greeting):
        started = time.monotonic()
        try:
            reader, writer = await open_raw(port)
        except (OSError, asyncio.TimeoutError) as error:
            problems.append(f"connect failed: {error!r}")
            return
        try:
            first = await read_line(reader)
            if not first.startswith(greeting):
                problems.append(f"greeting {first[:60]!r}")
                return
            line = b"EHLO trickle.example.test" if greeting == b"220" else b"a1 CAPABILITY"
            for octet in (line * 100)[:400]:
                writer.write(bytes([octet]))
                await writer.drain()
                # Wait a second, or less if the server closes meanwhile.
                with contextlib.suppress(asyncio.TimeoutError):
                    data = await asyncio.wait_for(reader.read(4096), 1.0)
                    if not data:
                        break
            else:
                problems.append("a trickling connection was never cut")
        except (ConnectionError, OSError):
            pass
        finally:
            lifetimes.append(time.monotonic() - started)
            writer.close()

    started = time.monotonic()
    tasks = [asyncio.create_task(trickler(server.smtp if i % 2 == 0 else server.imap,
                                          b"220" if i % 2 == 0 else b"* OK")) for i in range(count)]
    await asyncio.sleep(1.0)
    during, during_seconds = await in_thread(normal_clients, server, "slowloris-during")
    problems += ["during the attack: " + p for p in during]
    await asyncio.gather(*tasks)
    longest = max(lifetimes, default=0)
    if longest > SLOW_TIMEOUT + 6:
        problems.append(f"a trickling connection lived {longest:.1f}s (deadline {SLOW_TIMEOUT}s)")
    return problems, (f"{count} tricklers cut after ≤{longest:.1f}s (deadline {SLOW_TIMEOUT}s), "
                      f"normal client during {during_seconds:.2f}s, attack {time.monotonic() - started:.1f}s")


async def hold_idle(port, greeting, held, refused, problems, gate):
    async with gate:
        try:
            reader, writer = await open_raw(port, timeout=30)
            line = await read_line(reader, timeout=30)
        except (OSError, asyncio.TimeoutError) as error:
            problems.append(f"connect: {error!r}")
            return
    if line.startswith(greeting):
        held.append(writer)
    else:
        refused.append(line)
        writer.close()


async def idle_horde(server, quick):
    """10,000 idle connections (half SMTP, half IMAP) held open at once: all greeted, RSS bounded, and
    a normal client is served while they are held."""
    count = 2000 if quick else 10000
    held, refused, problems = [], [], []
    gate = asyncio.Semaphore(400)
    started = time.monotonic()
    await asyncio.gather(*[
        hold_idle(server.smtp if i % 2 == 0 else server.imap, b"220" if i % 2 == 0 else b"* OK",
                  held, refused, problems, gate)
        for i in range(count)
    ])
    opened = time.monotonic() - started
    if len(held) != count:
        problems.append(f"only {len(held)} of {count} idle connections greeted ({len(refused)} refused)")
    during, seconds = await in_thread(normal_clients, server, "idle-during")
    problems += ["while held: " + p for p in during]
    for writer in held:
        writer.close()
    return problems[:5], f"{len(held)} held (opened in {opened:.1f}s), normal client {seconds:.2f}s while held"


async def connection_caps(server, quick):
    """The default caps: from one address the 21st SMTP connection gets 421 4.7.0 and the 21st IMAP one
    * BYE at once, while a normal client from another address is served."""
    problems = []
    results = {}
    for name, port, greeting, refusal in (("smtp", server.smtp, b"220 ", b"421 4.7.0"),
                                          ("imap", server.imap, b"* OK", b"* BYE")):
        # A connection of the case before may still be closing in the server and count for the address:
        # when all 25 were answered but one too few admitted, close them, wait, and try again (3 tries).
        for attempt in range(3):
            held, refused, failures = [], [], []
            await asyncio.gather(*[hold_idle(port, greeting, held, refused, failures, asyncio.Semaphore(100))
                                   for _ in range(25)])
            if len(held) == 20 or len(held) + len(refused) != 25 or attempt == 2:
                problems += failures
                break
            for writer in held:
                writer.close()
            await asyncio.sleep(2)
        if len(held) != 20 or len(refused) != 5 or not all(r.startswith(refusal) for r in refused):
            problems.append(f"{name}: {len(held)} admitted, refusals {[r[:40] for r in refused]}")
        results[name] = f"{len(held)} admitted/{len(refused)} refused"
        during, _ = await in_thread(normal_clients, server, f"caps-{name}")
        problems += during
        for writer in held:
            writer.close()
    return problems, f"25 from one address: smtp {results['smtp']}, imap {results['imap']}"


async def wrong_passwords(server, quick):
    """1,000 wrong passwords from one address, alternating SMTP AUTH and IMAP LOGIN on new connections:
    answers slow down, then every attempt is refused and disconnected; meanwhile the right password
    from another address works at once. No password appears in the log."""
    attempts = 200 if quick else 1000
    outcomes = []  # (index, "failed"|"refused", seconds)
    problems = []
    gate = asyncio.Semaphore(8)

    async def smtp_attempt(index):
        reader, writer = await open_raw(server.submission)
        try:
            await read_until(reader, b"220 ")
            writer.write(b"EHLO attacker.example.test\r\n")
            await read_until(reader, b"250 ")
            started = time.monotonic()
            writer.write(f"AUTH PLAIN {plain(USER, WRONG_PASSWORD)}\r\n".encode())
            reply = await read_line(reader, timeout=30)
            seconds = time.monotonic() - started
            if reply.startswith(b"535"):
                outcomes.append((index, "failed", seconds))
            elif reply.startswith(b"421") or not reply:
                outcomes.append((index, "refused", seconds))
            else:
                problems.append(f"SMTP AUTH with a wrong password answered {reply[:60]!r}")
        finally:
            writer.close()

    async def imap_attempt(index):
        reader, writer = await open_raw(server.imap)
        try:
            await read_line(reader)
            started = time.monotonic()
            writer.write(f'a1 LOGIN {USER} "{WRONG_PASSWORD}"\r\n'.encode())
            reply = await read_until(reader, b"a1 ", timeout=30)
            seconds = time.monotonic() - started
            if reply.startswith(b"a1 NO"):
                outcomes.append((index, "failed", seconds))
            elif not reply or reply.startswith(b"* BYE"):
                outcomes.append((index, "refused", seconds))
            else:
                problems.append(f"IMAP LOGIN with a wrong password answered {reply[:60]!r}")
        finally:
            writer.close()

    async def attempt(index):
        async with gate:
            try:
                await (smtp_attempt if index % 2 == 0 else imap_attempt)(index)
            except (OSError, asyncio.TimeoutError, ConnectionError):
                outcomes.append((index, "refused", 0.0))

    async def legitimate():
        await asyncio.sleep(0.5)
        smtp_seconds = await in_thread(normal_submission, server)
        imap_seconds, _ = await in_thread(normal_imap, server)
        return smtp_seconds, imap_seconds

    started = time.monotonic()
    legit = asyncio.create_task(legitimate())
    # The first dozen one after another, to see each answer slower than the last; the rest 8 at a time.
    sequential = 12
    for index in range(sequential):
        await attempt(index)
    await asyncio.gather(*[attempt(i) for i in range(sequential, attempts)])
    try:
        smtp_seconds, imap_seconds = await legit
        if max(smtp_seconds, imap_seconds) > 1.0:
            problems.append(f"right password from {NORMAL_SOURCE} took {max(smtp_seconds, imap_seconds):.2f}s")
    except Exception as error:  # noqa: BLE001
        problems.append(f"right password from {NORMAL_SOURCE} failed: {error!r}")
        smtp_seconds = imap_seconds = float("nan")
    failed = sorted((i, s) for i, kind, s in outcomes if kind == "failed")
    refused = [s for _, kind, s in outcomes if kind == "refused"]
    block = 10
    if len(failed) > block + 8:  # attempts already checking when the block came may still fail
        problems.append(f"{len(failed)} wrong passwords were checked (block after {block})")
    if len(refused) < attempts - block - 8:
        problems.append(f"only {len(refused)} of {attempts} attempts refused")
    # Same protocol, one after another: SMTP attempts are the even indices.
    smtp_failed = [seconds for index, seconds in failed if index % 2 == 0 and index < sequential]
    first, last = (smtp_failed[0], smtp_failed[-1]) if smtp_failed else (0, 0)
    if len(smtp_failed) < 2 or last <= first:
        problems.append(f"answers did not slow down: SMTP delays {[round(s, 2) for s in smtp_failed]}")
    log = server.log_text()
    if WRONG_PASSWORD in log or PASSWORD in log:
        problems.append("a password appears in the log")
    return problems, (f"{attempts} attempts in {time.monotonic() - started:.1f}s: {len(failed)} checked "
                      f"(SMTP answers {first * 1000:.0f}→{last * 1000:.0f} ms), {len(refused)} refused; right password "
                      f"from {NORMAL_SOURCE}: SMTP {smtp_seconds:.2f}s, IMAP {imap_seconds:.2f}s")


async def pipelined_floods(server, quick):
    """One SMTP and one IMAP connection each pipeline 100,000 commands at once (and a junk flood):
    the server answers in step or closes, its memory stays bounded, and a normal client is served
    during the flood."""
    count = 20000 if quick else 100000
    problems, figures = [], []

    async def flood(port, greeting, command, answer_prefix, seconds=10):
        reader, writer = await open_raw(port)
        await read_line(reader)
        answers, closed = 0, False
        burst = command * count

        async def send():
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(burst)
                await writer.drain()

        sender = asyncio.create_task(send())
        deadline = time.monotonic() + seconds
        last = b""
        while time.monotonic() < deadline:
            try:
                line = await asyncio.wait_for(reader.readline(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            except (ConnectionError, OSError):
                closed = True
                break
            if not line:
                closed = True
                break
            last = line
            if line.startswith(answer_prefix):
                answers += 1
                if answers == count:
                    break
        sender.cancel()
        abort(writer)
        return answers, closed, last

    async def during():
        await asyncio.sleep(1.0)
        return await in_thread(normal_clients, server, "flood-during")

    for name, port, greeting, command, prefix in (
        ("SMTP NOOP", server.smtp, b"220", b"NOOP\r\n", b"250"),
        ("SMTP junk", server.smtp, b"220", b"XYZZY\r\n", b"500"),
        ("IMAP NOOP", server.imap, b"* OK", b"a NOOP\r\n", b"a OK"),
    ):
        started = time.monotonic()
        normal = asyncio.create_task(during())
        answers, closed, last = await flood(port, greeting, command, prefix)
        found, seconds = await normal
        problems += [f"{name} flood: {p}" for p in found]
        if name == "SMTP NOOP" and answers < count and not closed:
            problems.append(f"SMTP NOOP flood: {answers} of {count} answered and the connection left open")
        if name == "SMTP junk" and not closed:
            problems.append("SMTP junk flood: the connection was not closed after the error limit")
        if name == "IMAP NOOP" and answers > 1000 + 200 * 11:
            problems.append(f"IMAP NOOP flood: {answers} answered in 10 s, over the rate limit")
        figures.append(f"{name}: {answers} answered in {time.monotonic() - started:.1f}s"
                       f"{', closed: ' + last.decode(errors='replace').strip()[:40] if closed else ''}; "
                       f"normal client {seconds:.2f}s")
    return problems, "; ".join(figures)


async def vanishing(server, quick):
    """Connections that vanish (RST) mid-TLS-handshake, mid-DATA, mid-BDAT and mid-APPEND: nothing
    partial is ever visible, tmp/ is cleaned, the server carries on."""
    rounds = 20 if quick else 100
    problems = []
    hello = bytes.fromhex("16030100c8010000c40303") + bytes(32)  # the start of a TLS ClientHello

    async def mid_tls(port, starttls):
        reader, writer = await open_raw(port)
        if starttls == "smtp":
            await read_until(reader, b"220 ")
            writer.write(b"EHLO vanish.example.test\r\nSTARTTLS\r\n")
            await read_until(reader, b"220 ")
        elif starttls == "imap":
            await read_line(reader)
            writer.write(b"a STARTTLS\r\n")
            await read_until(reader, b"a ")
        writer.write(hello)
        await writer.drain()
        abort(writer)

    async def mid_data(bdat):
        reader, writer = await open_raw(server.smtp)
        await read_until(reader, b"220 ")
        writer.write(b"EHLO vanish.example.test\r\n")
        await read_until(reader, b"250 ")
        writer.write(f"MAIL FROM:<bob@example.test>\r\nRCPT TO:<{USER}>\r\n".encode())
        await read_line(reader)
        await read_line(reader)
        message = stress_message("vanished", body=b"x" * 200 + b"\r\n" * 1000)
        if bdat:
            writer.write(f"BDAT {len(message)} LAST\r\n".encode() + message[: len(message) // 2])
        else:
            writer.write(b"DATA\r\n")
            await read_until(reader, b"354")
            writer.write(message[: len(message) // 2])
        await writer.drain()
        await asyncio.sleep(0.01)
        abort(writer)

    async def mid_append(size):
        reader, writer = await open_raw(server.imap)
        await read_line(reader)
        writer.write(f'a LOGIN {USER} "{PASSWORD}"\r\n'.encode())
        await read_until(reader, b"a ")
        message = stress_message("vanished", body=b"y" * size)
        writer.write(f"b APPEND INBOX {{{len(message)}}}\r\n".encode())
        await read_until(reader, b"+")
        writer.write(message[: len(message) // 2])
        await writer.drain()
        await asyncio.sleep(0.01)
        abort(writer)

    before = len(server.messages())
    jobs = []
    for _ in range(rounds):
        jobs += [mid_tls(server.smtps, None), mid_tls(server.imaps, None), mid_tls(server.smtp, "smtp"),
                 mid_tls(server.imap, "imap"), mid_data(False), mid_data(True), mid_append(1000),
                 mid_append(600_000)]
    gate = asyncio.Semaphore(15)  # under the per-address cap of 20

    async def gated(job):
        async with gate:
            try:
                await job
            except (OSError, asyncio.TimeoutError, ConnectionError) as error:
                problems.append(f"{error!r}")

    started = time.monotonic()
    await asyncio.gather(*[gated(job) for job in jobs])
    await asyncio.sleep(0.5)
    after = len(server.messages())
    if after != before:
        problems.append(f"{after - before} message(s) from vanished clients became visible")
    return problems[:5], f"{len(jobs)} vanishing clients in {time.monotonic() - started:.1f}s, none stored"
