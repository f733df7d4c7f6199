#!/usr/bin/env python3
"""Many idle IMAP clients: N sessions that log in, SELECT INBOX and IDLE; the server's memory with all of
them idling; then one delivery and the time until the last client has its `* N EXISTS`.

    idle_bench.py --clients 1000 [--server dovecot|correo] [--correo PATH] [--deliver file|smtp]
                  [--smtp-port P] [--work DIR] [--port 21450] [--timeout 300] [--deliveries 1]
                  [--clients-per-address 10000]

The server (Dovecot, or correo's imapd with --server correo) is started here on a 10-message mailbox
(WORK/idle-SERVER/) and stopped at the end. Memory is the sum of Pss (and of Rss) over the server's
process tree, read from /proc/PID/smaps_rollup once all clients got `+ idling` (kernel socket buffers
are not in it). Delivery `file` writes a message into the Maildir's tmp/ and renames it into new/ (how
a local delivery agent does it); `smtp` sends it to --smtp-port on 127.0.0.1 (correo's smtpd on the same
storage). Dovecot notices new mail in IDLE through inotify, one instance per imap process; Linux allows
128 per user by default, so the script raises fs.inotify.max_user_instances for the run (and puts it back).

One client address has ~28,000 ephemeral ports (net.ipv4.ip_local_port_range) towards one server port, so
more clients than --clients-per-address are spread over the loopback sources 127.0.0.2, 127.0.0.3, ...
(client i from 127.0.0.(2 + i // per-address)); up to that many they all come from 127.0.0.1 as before.
The open-file limit (soft and hard, as root) is raised for the clients and for the server.

--deliveries K delivers K messages one after another (each once every client has the one before, 0.5 s
apart); delivery_last_s and delivery_p50_s are then the medians over the K deliveries, and
delivery_last_runs_s lists each delivery's time to the last EXISTS.
Prints one JSON object.
"""

import argparse
import asyncio
import json
import os
import resource
import select
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
        # One list of arrival times per delivery: notified[k] for the k-th message delivered.
        self.notified = [[] for _ in range(args.deliveries)]
        self.conns = []
        # The idling clients' writers and the EXISTS count each saw at SELECT.
        self.idle = {}
        self.sem = asyncio.Semaphore(args.setup_concurrency)

    async def one(self, i):
        try:
            async with self.sem:
                source = source_address(i, self.args)
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.args.port, local_addr=(source, 0) if source else None
                )
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
            # From here until the deliveries are measured, Watcher reads the socket (see below).
            self.idle[writer] = exists
            if self.idling + len(self.failures) == self.args.clients:
                self.all_idle.set()
            await self.measured.wait()
            writer.write(b"DONE\r\n")
            await read_tagged(reader, b"c")
            writer.write(b"z LOGOUT\r\n")
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            self.failures.append(f"client {i}: {type(e).__name__}: {e}")
            if self.idling + len(self.failures) == self.args.clients:
                self.all_idle.set()


class Watcher:
    """Reads every idling client's socket with one epoll while the deliveries are measured.

    asyncio's readline costs ~80 µs of this machine's CPU per client and wake-up (0.8 s for 9,500 clients,
    measured with a stand-in server): more than the whole target for 10,000. One epoll over raw sockets
    costs a few µs per client, so the figure is the server's. The clients' transports stop reading meanwhile
    and resume for DONE and LOGOUT."""

    def __init__(self, clients):
        self.clients = clients
        self.epoll = select.epoll()
        self.by_fd = {}
        for writer, exists in clients.idle.items():
            writer.transport.pause_reading()
            fd = writer.transport.get_extra_info("socket").fileno()
            self.by_fd[fd] = [exists, 0, b""]  # EXISTS so far, deliveries seen, partial line
            self.epoll.register(fd, select.EPOLLIN)

    def wait(self, k, deadline):
        """Reads until every client has the EXISTS of delivery k (or the deadline)."""
        notified = self.clients.notified
        deliveries = self.clients.args.deliveries
        while len(notified[k]) < len(self.by_fd) and time.perf_counter() < deadline:
            for fd, _ in self.epoll.poll(0.05):
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                now = time.perf_counter()
                state = self.by_fd[fd]
                if not data:
                    self.epoll.unregister(fd)
                    continue
                *lines, state[2] = (state[2] + data).split(b"\r\n")
                for line in lines:
                    parts = line.split()
                    if len(parts) == 3 and parts[2].upper() == b"EXISTS" and int(parts[1]) > state[0]:
                        # One EXISTS may announce several deliveries at once: it is the arrival of each.
                        for j in range(state[1], min(state[1] + int(parts[1]) - state[0], deliveries)):
                            notified[j].append(now)
                        state[1] += int(parts[1]) - state[0]
                        state[0] = int(parts[1])

    def close(self):
        self.epoll.close()
        for writer in self.clients.idle:
            writer.transport.resume_reading()


def source_address(i, args):
    """The loopback address client i connects from; None (the kernel's choice, 127.0.0.1) when one address does."""
    if args.clients <= args.clients_per_address:
        return None
    return f"127.0.0.{2 + i // args.clients_per_address}"


def deliver(args, storage, manifest, round_=0):
    box = os.path.join(storage, manifest["user"])
    msg = (b"From: bench <bench@example.org>\r\nTo: " + manifest["user"].encode() +
           b"\r\nSubject: idle wake-up\r\nMessage-ID: <idle.wakeup@example.org>\r\n\r\nHello.\r\n")
    if args.deliver == "smtp":
        with smtplib.SMTP("127.0.0.1", args.smtp_port) as s:
            start = time.perf_counter()
            s.sendmail("bench@example.org", [manifest["user"]], msg)
            return start
    name = f"{int(time.time())}.M{round_ + 1}P{os.getpid()}.idlebench,S={len(msg)},W={len(msg)}"
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
    lasts, medians, notified, cpu = [], [], [], []
    watcher = Watcher(clients)
    for k in range(args.deliveries):
        if k:
            await asyncio.sleep(0.5)
        cpu_before = procstat.cpu_seconds(server.pid)
        delivered = deliver(args, storage, manifest, k)
        watcher.wait(k, time.perf_counter() + args.delivery_timeout)
        delays = sorted(t - delivered for t in clients.notified[k])
        cpu.append(procstat.cpu_seconds(server.pid) - cpu_before)
        notified.append(len(delays))
        if delays:
            lasts.append(delays[-1])
            medians.append(statistics.median(delays))
        if len(delays) < clients.idling:
            break  # a delivery that did not reach everyone: the next one would not measure the same thing
    watcher.close()
    clients.measured.set()
    await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for w in clients.conns:
        w.close()
    return {
        "clients": args.clients,
        "source_addresses": len({source_address(i, args) for i in range(args.clients)}),
        "idling": clients.idling,
        "failures": len(clients.failures),
        "first_failures": clients.failures[:3],
        "setup_s": round(setup_s, 3),
        "server_pss_kb": pss,
        "server_rss_kb": rss,
        "server_processes": nproc,
        "pss_per_client_kb": round(pss / max(1, clients.idling), 1),
        "notified": min(notified) if notified else 0,
        "deliveries": len(notified),
        "delivery_last_s": round(statistics.median(lasts), 4) if lasts else None,
        "delivery_p50_s": round(statistics.median(medians), 4) if medians else None,
        "delivery_last_runs_s": [round(x, 4) for x in lasts],
        # The server's CPU from the delivery until the last client had its EXISTS: steadier than the wall
        # time on a loaded machine (in clock ticks, 10 ms each).
        "delivery_server_cpu_s": round(statistics.median(cpu), 3) if cpu else None,
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
    p.add_argument("--deliveries", type=int, default=1)
    p.add_argument("--clients-per-address", type=int, default=10000)
    args = p.parse_args()

    # The client needs a descriptor per connection, the server one per connection plus its own (servers.py
    # asks for 2N + 1000); the hard limit is raised for both where permitted (root), the server inherits it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * args.clients + 1000
    if hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            hard = want
        except (ValueError, OSError):
            pass
    if hard < args.clients + 100:
        # Raising the hard limit needs CAP_SYS_RESOURCE (`ulimit -Hn` shows it): without it the run is skipped
        # with a note, as bench/run.sh skips what cannot run here.
        print(json.dumps({"workload": "idle", "server": args.server, "clients": args.clients,
                          "skipped": f"IDLE {args.clients:,} on {args.server} skipped: RLIMIT_NOFILE hard limit "
                                     f"{hard} is below the {args.clients + 100} descriptors the clients (and the "
                                     "server) need, and this process may not raise it"}))
        return 0
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
    ok = result["failures"] == 0 and result["notified"] == args.clients and result["deliveries"] == args.deliveries
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
