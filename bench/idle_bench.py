#!/usr/bin/env python3
"""Many idle IMAP clients: N sessions that log in, SELECT INBOX and IDLE; the server's memory with all of
them idling; then one delivery and the time until the last client has its `* N EXISTS`.

    idle_bench.py --clients 1000 [--server dovecot|correo] [--correo PATH] [--deliver file|smtp]
                  [--smtp-port P] [--work DIR] [--port 21450] [--timeout 300]

The server (Dovecot, or correo's imapd with --server correo) is started here on a 10-message mailbox
(WORK/idle-SERVER/) and stopped at the end. Memory is the sum of Pss (and of Rss) over the server's
process tree, read from /proc/PID/smaps_rollup once all clients got `+ idling` (kernel socket buffers
are not in it). Delivery `file` writes a message into the Maildir's tmp/ and renames it into new/ (how
a local delivery agent does it); `smtp` sends it to --smtp-port on 127.0.0.1 (correo's smtpd on the same
storage). Dovecot notices new mail in IDLE through inotify, one instance per imap process; Linux allows
128 per user by default, so the script raises fs.inotify.max_user_instances for the run (and puts it back).
Prints one JSON object.
"""

import argparse
import asyncio
import json
import os
import resource
import smtplib
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailgen  # noqa: E402
import procstat  # noqa: E402
import servers  # noqa: E402

INOTIFY = "/proc/sys/fs/inotify/max_user_instances"


async def read_tagged(reader, tag):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        lines.append(line)
        if line.startswith(tag + b" "):
            if not line[len(tag) + 1 :].startswith(b"OK"):
                raise RuntimeError(line.decode(errors="replace").strip())
            return lines


class Clients:
    def __init__(self, args, manifest):
        self.args = args
        self.manifest = manifest
        self.idling = 0
        self.failures = []
        self.all_idle = asyncio.Event()
        # DONE and LOGOUT wait until every client has its EXISTS (or the delivery timeout): the
        # figure is the fan-out of one delivery, not the fan-out plus thousands of logouts.
        self.measured = asyncio.Event()
        self.delivered_at = None
        self.notified = []
        self.conns = []
        self.sem = asyncio.Semaphore(args.setup_concurrency)

    async def one(self, i):
        try:
            async with self.sem:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
                self.conns.append(writer)
                await reader.readline()
                user, password = self.manifest["user"], self.manifest["password"]
                writer.write(f'a LOGIN "{user}" "{password}"\r\n'.encode())
                await read_tagged(reader, b"a")
                writer.write(b"b SELECT INBOX\r\n")
                exists = 0
                for line in await read_tagged(reader, b"b"):
                    if line.rstrip().endswith(b" EXISTS"):
                        exists = int(line.split()[1])
                writer.write(b"c IDLE\r\n")
                while True:
                    line = await reader.readline()
                    if not line:
                        raise ConnectionError("closed during IDLE")
                    if line.startswith(b"+"):
                        break
            self.idling += 1
            if self.idling + len(self.failures) == self.args.clients:
                self.all_idle.set()
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionError("closed while idling")
                parts = line.split()
                if len(parts) == 3 and parts[2].upper() == b"EXISTS" and int(parts[1]) > exists:
                    self.notified.append(time.perf_counter())
                    break
            await self.measured.wait()
            writer.write(b"DONE\r\n")
            await read_tagged(reader, b"c")
            writer.write(b"z LOGOUT\r\n")
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            self.failures.append(f"client {i}: {type(e).__name__}: {e}")
            if self.idling + len(self.failures) == self.args.clients:
                self.all_idle.set()


def deliver(args, storage, manifest):
    box = os.path.join(storage, manifest["user"])
    msg = (b"From: bench <bench@example.org>\r\nTo: " + manifest["user"].encode() +
           b"\r\nSubject: idle wake-up\r\nMessage-ID: <idle.wakeup@example.org>\r\n\r\nHello.\r\n")
    if args.deliver == "smtp":
        with smtplib.SMTP("127.0.0.1", args.smtp_port) as s:
            start = time.perf_counter()
            s.sendmail("bench@example.org", [manifest["user"]], msg)
            return start
    name = f"{int(time.time())}.M1P{os.getpid()}.idlebench,S={len(msg)},W={len(msg)}"
    tmp = os.path.join(box, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(msg)
        f.flush()
        os.fsync(f.fileno())
    os.chown(tmp, servers.NOBODY.pw_uid, servers.NOBODY.pw_gid)
    start = time.perf_counter()
    os.rename(tmp, os.path.join(box, "new", name))
    return start


async def run(args, server, storage, manifest):
    clients = Clients(args, manifest)
    start = time.perf_counter()
    tasks = [asyncio.create_task(clients.one(i)) for i in range(args.clients)]
    await asyncio.wait_for(clients.all_idle.wait(), args.timeout)
    setup_s = time.perf_counter() - start
    await asyncio.sleep(1.0)  # let the server settle (login processes exit, buffers drain)
    rss, pss, nproc = procstat.memory_kb(server.pid)
    delivered = deliver(args, storage, manifest)
    deadline = time.perf_counter() + args.delivery_timeout
    while len(clients.notified) < clients.idling and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    delays = sorted(t - delivered for t in clients.notified)
    clients.measured.set()
    await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for w in clients.conns:
        w.close()
    return {
        "clients": args.clients,
        "idling": clients.idling,
        "failures": len(clients.failures),
        "first_failures": clients.failures[:3],
        "setup_s": round(setup_s, 3),
        "server_pss_kb": pss,
        "server_rss_kb": rss,
        "server_processes": nproc,
        "pss_per_client_kb": round(pss / max(1, clients.idling), 1),
        "notified": len(clients.notified),
        "delivery_last_s": round(delays[-1], 4) if delays else None,
        "delivery_p50_s": round(statistics.median(delays), 4) if delays else None,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--server", choices=["dovecot", "correo"], default="dovecot")
    p.add_argument("--correo")
    p.add_argument("--deliver", choices=["file", "smtp"], default="file")
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--work", default=os.path.join(here, "work"))
    p.add_argument("--port", type=int, default=21450)
    p.add_argument("--setup-concurrency", type=int, default=64)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--delivery-timeout", type=float, default=60)
    args = p.parse_args()

    # The client needs a descriptor per connection.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < args.clients + 100:
        sys.exit(f"idle_bench: RLIMIT_NOFILE hard limit {hard} is below {args.clients + 100}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    base = os.path.join(args.work, f"idle-{args.server}")
    master = os.path.join(args.work, "mailbox-10")
    manifest = mailgen.build(master, 10)
    servers.chown_tree_dirs(master)
    storage = os.path.join(base, "storage")
    servers.reset_storage(master, storage)
    if args.server == "dovecot":
        server = servers.Dovecot(os.path.join(base, "srv"), storage, args.port, max_clients=args.clients)
        server.clear_index()
    else:
        if not args.correo:
            p.error("--server correo needs --correo PATH")
        server = servers.Correo(args.correo, os.path.join(base, "srv"), storage, args.port, max_clients=args.clients)

    old_inotify = None
    try:
        with open(INOTIFY) as f:
            old_inotify = int(f.read())
        if old_inotify < args.clients + 128:
            with open(INOTIFY, "w") as f:
                f.write(str(args.clients + 128))
    except OSError:
        pass
    result = {"workload": "idle", "server": args.server, "load_average": procstat.load_average()}
    try:
        server.start()
        result.update(asyncio.run(run(args, server, storage, manifest)))
    finally:
        server.stop()
        if old_inotify is not None and old_inotify < args.clients + 128:
            try:
                with open(INOTIFY, "w") as f:
                    f.write(str(old_inotify))
            except OSError:
                pass
    result["inotify_max_user_instances"] = max(old_inotify or 0, args.clients + 128)
    print(json.dumps(result))
    ok = result["failures"] == 0 and result["notified"] == args.clients
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
