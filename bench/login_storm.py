#!/usr/bin/env python3
"""The login storm: N IMAP clients log in at once (LOGIN, SELECT INBOX, IDLE), then all hang up and log in
again, as a crowd of clients does after a network blip or a server restart behind a proxy.

    login_storm.py [--clients 1000] [--users 100] [--rounds 100000] [--runs 3]
                   [--servers dovecot,dovecot-cache,correo] [--correo PATH] [--work DIR] [--port 21460]

Every user's password is stored as SHA512-CRYPT with `--rounds` rounds (`{SHA512-CRYPT}$6$rounds=…`, the
same line in correo's passwords.txt and in Dovecot's passwd-file), so that a login costs what it costs in
service: the hash, ~50 ms of CPU at 100,000 rounds here. Clients are spread round-robin over `--users`
users. Figures per server:
- `first_s`: from the first connect until all N clients are idling, on a server just started (every
  user's first login pays the hash);
- `again_s` (median of `--runs`): the same after all clients logged out, with the server still running —
  where a cache of verified credentials (correo's, Dovecot's `auth_cache_size`) saves the hash;
- the server's CPU seconds (its process tree) for each.
Dovecot runs as Debian ships it (`dovecot`: no auth cache) and with `auth_cache_size = 10M`
(`dovecot-cache`), so that the ratio can be read against either. Prints one JSON object.
"""

import argparse
import asyncio
import crypt  # noqa: deprecated in 3.11 but present in Debian 12's Python, and what matches libcrypt
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstat  # noqa: E402
import servers  # noqa: E402

DOMAIN = "bench.test"


class CachingDovecot(servers.Dovecot):
    """Dovecot with its authentication cache on (off by default), the same trade correo makes."""

    name = "dovecot-cache"

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf, "a") as f:
            f.write("auth_cache_size = 10M\nauth_cache_ttl = 1 hour\nauth_cache_negative_ttl = 0\n")


def build_storage(path, users, rounds, seed=16):
    """USER/{cur,new,tmp} with one message each, and passwords.txt with a SHA512-CRYPT line per user."""
    shutil.rmtree(path, ignore_errors=True)
    rng = random.Random(seed)
    credentials = []
    lines = []
    for i in range(users):
        user = f"u{i}@{DOMAIN}"
        password = f"pw-{i}-{rng.randrange(10**9)}"
        salt = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./") for _ in range(16))
        lines.append(f"{user}:{{SHA512-CRYPT}}{crypt.crypt(password, f'$6$rounds={rounds}${salt}')}\n")
        credentials.append((user, password))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(path, user, sub), exist_ok=True)
        message = (f"From: bench <bench@example.org>\r\nTo: {user}\r\nSubject: storm {i}\r\n"
                   f"Message-ID: <storm.{i}@example.org>\r\n\r\nHello.\r\n").encode()
        with open(os.path.join(path, user, "cur", f"1700000000.M{i}P1.storm,S={len(message)}:2,S"), "wb") as f:
            f.write(message)
    with open(os.path.join(path, "passwords.txt"), "w") as f:
        f.writelines(lines)
    servers.chown_tree_dirs(path)
    return credentials


async def read_tagged(reader, tag):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise RuntimeError(line.decode(errors="replace").strip())
            return


async def client(port, user, password, idling, release, failures):
    """One client: log in, select, idle; wait for the release; DONE, LOGOUT."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await reader.readline()
            writer.write(f'a LOGIN "{user}" "{password}"\r\nb SELECT INBOX\r\n'.encode())
            await read_tagged(reader, b"a")
            await read_tagged(reader, b"b")
            writer.write(b"c IDLE\r\n")
            line = await reader.readline()
            if not line.startswith(b"+"):
                raise RuntimeError(f"IDLE answered {line!r}")
            idling.append(time.perf_counter())
            await release.wait()
            writer.write(b"DONE\r\nz LOGOUT\r\n")
            await read_tagged(reader, b"c")
        finally:
            writer.close()
    except Exception as error:  # noqa: BLE001 - counted and reported
        failures.append(f"{type(error).__name__}: {error}")


async def storm(port, credentials, clients, timeout):
    """All clients at once; the seconds until the last one idles, and the failures."""
    idling, failures = [], []
    release = asyncio.Event()
    start = time.perf_counter()
    tasks = [asyncio.create_task(client(port, *credentials[i % len(credentials)], idling, release, failures))
             for i in range(clients)]
    deadline = start + timeout
    while len(idling) + len(failures) < clients and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    elapsed = (max(idling) - start) if idling else None
    release.set()
    await asyncio.wait(tasks, timeout=60)
    return elapsed, len(idling), failures


def measure(server, credentials, args):
    pid = server.start()
    try:
        cpu0 = procstat.cpu_seconds(pid)
        first, idled, failures = asyncio.run(storm(server.port, credentials, args.clients, args.timeout))
        cpu1 = procstat.cpu_seconds(pid)
        result = {"first_s": round(first, 3) if first else None, "first_idling": idled,
                  "first_cpu_s": round(cpu1 - cpu0, 2), "failures": failures[:3], "again": []}
        for _ in range(args.runs):
            time.sleep(1.0)  # the logouts settle
            cpu0 = procstat.cpu_seconds(pid)
            again, idled, failures = asyncio.run(storm(server.port, credentials, args.clients, args.timeout))
            cpu1 = procstat.cpu_seconds(pid)
            result["again"].append({"s": round(again, 3) if again else None, "idling": idled,
                                    "cpu_s": round(cpu1 - cpu0, 2), "failures": len(failures)})
            result["failures"] += failures[:3]
        seconds = [run["s"] for run in result["again"] if run["s"] is not None]
        result["again_s"] = round(statistics.median(seconds), 3) if seconds else None
        result["again_cpu_s"] = statistics.median(run["cpu_s"] for run in result["again"])
        return result
    finally:
        server.stop()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--rounds", type=int, default=100000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--servers", default="dovecot,dovecot-cache,correo")
    p.add_argument("--correo")
    p.add_argument("--work", default=os.path.join(here, "work"))
    p.add_argument("--port", type=int, default=21460)
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < args.clients + 100:
        sys.exit(f"login_storm: RLIMIT_NOFILE hard limit {hard} is below {args.clients + 100}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    base = os.path.join(args.work, "login-storm")
    results = {"clients": args.clients, "users": args.users, "rounds": args.rounds, "runs": args.runs,
               "load_average_start": procstat.load_average(), "servers": {}}
    for name in args.servers.split(","):
        storage = os.path.join(base, name, "storage")
        credentials = build_storage(storage, args.users, args.rounds)
        srv = os.path.join(base, name, "srv")
        if name == "dovecot":
            server = servers.Dovecot(srv, storage, args.port, max_clients=args.clients)
        elif name == "dovecot-cache":
            server = CachingDovecot(srv, storage, args.port, max_clients=args.clients)
        elif name == "correo":
            if not args.correo:
                p.error("the correo server needs --correo PATH")
            server = servers.Correo(args.correo, srv, storage, args.port, max_clients=args.clients)
        else:
            p.error(f"unknown server {name}")
        results["servers"][name] = measure(server, credentials, args)
    results["load_average_end"] = procstat.load_average()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
