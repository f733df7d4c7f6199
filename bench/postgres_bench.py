#!/usr/bin/env python3
"""correo on the PostgreSQL store beside correo on Maildir, in one run (issue 18).

    python3 bench/postgres_bench.py --correo .build/release/correo [--messages 2000] [--mailbox 5000]
                                    [--repeat 3] [--connections 1,16] [--no-diagnose] [--perf] [--smoke]

Stdlib only, as root or not (PostgreSQL itself runs as the `postgres` user when this runs as root, as
Tests/MailTestSupport/PostgresServer.swift does it). Everything is on 127.0.0.1, in one temporary folder
(--work, removed at the end, also on errors and Ctrl-C), with every server started and stopped here:

- a private PostgreSQL from Debian's package: `initdb -U correo -A trust -E UTF8 --no-locale --no-sync`,
  then `postgres -D DATA -k SOCKET -p PORT -h 127.0.0.1 -c track_wal_io_timing=on`, every other setting as
  initdb writes it (fsync on, synchronous_commit on, wal_sync_method fdatasync, shared_buffers 128 MB);
- correo nodes, each `correo serve -s NODE_FOLDER [--store postgres://correo@127.0.0.1:PORT/DB]
  --domain bench.test --bind 127.0.0.1 --allow-plaintext-auth --no-inbound-auth-checks` with SMTP and IMAP
  on free ports and every other listener off. Three setups: `maildir` (one node, users and mail in its
  folder), `pg-1` (one node on the database) and `pg-3` (three nodes on the same database, each with its
  own folder).

Workloads, each figure the median of --repeat runs, the setups interleaved within each run:

SMTP ingest: --messages messages of ~2 KB (smtp_ingest.make_message, the SMTP bench's messages) over
  each of --connections; message i to u(i mod 16)@bench.test, 16 users made with `correo user add`
  (`-s` for Maildir, `--store` for PostgreSQL). With three nodes connection k goes to node k mod 3 and
  all connections take the next message from one shared counter (smtp_ingest.connection). Every run
  starts on a fresh store: a copy of a Maildir folder with the 16 users, or a new database made from a
  template holding the schema and the 16 users (CREATE DATABASE … TEMPLATE, then CHECKPOINT). correo
  answers 250 only once the message is durable (Maildir: file and new/ fsynced; PostgreSQL: transaction
  committed), so msgs/s is N / (first connection to last 250); afterwards the store is counted (files in
  new/, rows in messages) and a run with a missing message fails. Figures: msgs/s, p50/p99 latency,
  CPU per message of the correo processes and, separately, of the postgres processes (utime+stime of
  each process tree from /proc, procstat.cpu_seconds), the driver's own CPU, the whole machine's busy
  and iowait share (/proc/stat), and from pg_stat_wal the WAL fsyncs (wal_sync) and bytes per message
  and the time spent in them (wal_sync_time).
IMAP header sync: mailgen.py's deterministic mailbox of --mailbox messages (the IMAP bench's corpus),
  served from Maildir (a fresh hard-linked copy: no correo index yet) and from PostgreSQL (copied once
  with `correo migrate --from maildir:… --to postgres://…`, timed; each run a fresh database made from it).
  A session logs in, SELECTs INBOX and sends
      FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)])
  timed from the command to its tagged OK, every answer counted (one FETCH response per message).
  `first`: the first session ever on that store since the server started; `second`: the next one. With
  one client (maildir, pg-1) and with three clients at once (maildir and pg-1: three on the one node;
  pg-3: one per node), each on a fresh store. Three at once: the figure is the wall time from the
  three FETCHes' start (a barrier) to the last tagged OK.
Memory: peak PSS and RSS of each correo node and the peak of the sum of PSS (and RSS) over all postgres
  processes (postmaster and every child, /proc/PID/smaps_rollup), sampled every 100 ms during each
  workload.
Diagnosis (once, not part of the medians; --no-diagnose skips it): pg_test_fsync's 8 kB fdatasync rate
  on the same disk (the rate of commits one at a time); pgbench on the same cluster, a one-row INSERT per
  transaction without and with `SELECT pg_notify(…)` (which every correo delivery sends), at 1 client and
  at the largest connection count, with WAL fsyncs per transaction; and runs at the largest count with
  pg_stat_activity sampled every 20 ms (what each busy backend waits for: Lock:object is a heavyweight
  lock on an object, such as the one NOTIFY takes at commit; Lock:transactionid a row another
  transaction holds; IO:WALSync the commit's fsync; Client:ClientRead a backend waiting for correo's
  next statement inside a transaction) and the ungranted locks in pg_locks: pg-1 and pg-3 with 16 users,
  pg-3 and maildir with every message to one user. For these PostgreSQL is restarted with
  pg_stat_statements loaded: the statements of the pg-1 ingest (calls, time, WAL bytes per message) and
  of one pg-1 header sync, first and second (calls, rows, time, 8 kB block accesses). --perf also runs
  `perf record -a` during the pg-3 ingest and reports the CPU share of each command and binary and
  postgres' hottest symbols.

Writes bench/results/DATE-postgres.json (every run) and DATE-postgres.md (the tables, also printed).
--smoke (40 messages, 1 and 4 connections, a 100-message mailbox, 1 run, a shorter diagnosis; under a
minute with a release build) only prints the tables (unless --out): it checks that the script and both
stores work, not how fast. Exit status 0 when every run's checks held.
"""

import argparse
import concurrent.futures
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mailgen  # noqa: E402
import procstat  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
import smtp_ingest  # noqa: E402
from imapclient import Client  # noqa: E402

DOMAIN = "bench.test"
USERS = 16
PASSWORD = "benchpass"
PG_USER = "correo"
FETCH = "FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)])"
SETUPS = ("maildir", "pg-1", "pg-3")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, timeout=120, input=None, check=True, **kw):
    out = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, **kw)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}…: exit {out.returncode}: {(out.stdout + out.stderr)[-1500:]}")
    return out


def stop_process(proc, sig=signal.SIGTERM, wait=30):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


# --- PostgreSQL ---------------------------------------------------------------------------------------


class Postgres:
    """A private cluster in DIR/pg, as PostgresServer.swift makes it (run as `postgres` under root)."""

    def __init__(self, root):
        versions = sorted((int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()), reverse=True) \
            if os.path.isdir("/usr/lib/postgresql") else []
        self.bin = next((f"/usr/lib/postgresql/{v}/bin" for v in versions
                         if os.access(f"/usr/lib/postgresql/{v}/bin/initdb", os.X_OK)), None)
        if self.bin is None:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
        self.dir = os.path.join(root, "pg")
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "socket")
        self.proc = None
        self.port = None

    def _as_postgres(self, argv):
        if os.getuid() == 0:
            return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *argv]
        return argv

    def start(self):
        os.makedirs(self.socket)
        if os.getuid() == 0:
            pw = pwd.getpwnam("postgres")
            for d in (self.dir, self.socket):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        run(self._as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", PG_USER, "-A", "trust", "-E", "UTF8",
                               "--no-locale", "--no-sync"]), timeout=120, cwd=self.dir)
        self._launch([])

    def restart(self, settings):
        """Stops the server and starts it again on the same data with `-c` settings added (a new port)."""
        self.stop()
        self._launch([x for kv in settings for x in ("-c", kv)])

    def _launch(self, extra):
        for _ in range(3):
            self.port = free_port()
            logf = open(os.path.join(self.dir, "postgres.log"), "ab")
            self.proc = subprocess.Popen(
                self._as_postgres([f"{self.bin}/postgres", "-D", self.data, "-k", self.socket, "-p", str(self.port),
                                   "-h", "127.0.0.1", "-c", "track_wal_io_timing=on", *extra]),
                cwd=self.dir, stdout=logf, stderr=logf, start_new_session=True)
            deadline = time.time() + 60
            while time.time() < deadline and self.proc.poll() is None:
                if subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                                  timeout=10).returncode == 0:
                    return
                time.sleep(0.1)
            stop_process(self.proc, signal.SIGINT)
        raise RuntimeError("PostgreSQL did not start: " + open(os.path.join(self.dir, "postgres.log")).read()[-2000:])

    @property
    def pid(self):
        return self.proc.pid

    def url(self, db):
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{db}"

    def sql(self, text, db="postgres", timeout=300):
        out = run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                   "-p", str(self.port), "-U", PG_USER, "-d", db, "-c", text], timeout=timeout)
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def create_db(self, name, template=None):
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        extra = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.sql(f"CREATE DATABASE {name}{extra}")
        self.sql("CHECKPOINT")

    def drop_db(self, name):
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def wal_stats(self):
        row = self.sql("SELECT wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, wal_sync_time, "
                       "(SELECT sum(xact_commit) FROM pg_stat_database) FROM pg_stat_wal")[0]
        keys = ("wal_records", "wal_fpi", "wal_bytes", "wal_write", "wal_sync", "wal_sync_time_ms", "xact_commit")
        return {k: float(v) for k, v in zip(keys, row)}

    def statements(self, db, limit=12):
        """pg_stat_statements for `db` (loaded by restart(statements=True)): the statements by total time."""
        rows = self.sql(
            "SELECT calls, rows, round(total_exec_time::numeric, 2), shared_blks_hit + shared_blks_read, "
            "shared_blks_read, wal_bytes, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
            f"WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '{db}') "
            "AND query NOT LIKE '%pg_stat_activity%' AND query NOT LIKE '%pg_stat_statements%' "
            f"ORDER BY total_exec_time DESC LIMIT {limit}")
        keys = ("calls", "rows", "total_ms", "blocks", "blocks_read", "wal_bytes")
        return [dict({k: float(v) for k, v in zip(keys, r[:6])}, query=r[6][:160]) for r in rows]

    def stop(self):
        stop_process(self.proc, signal.SIGINT, wait=30)
        self.proc = None


# --- correo nodes -------------------------------------------------------------------------------------


class Node:
    """`correo serve` with SMTP and IMAP on free ports: Maildir in STORAGE, or the PostgreSQL store `store`."""

    def __init__(self, binary, storage, store=None):
        self.binary, self.storage, self.store = binary, storage, store
        self.proc = None

    def start(self):
        self.smtp, self.imap = free_port(), free_port()
        argv = [self.binary, "serve", "-s", self.storage, "--domain", DOMAIN, "--bind", "127.0.0.1",
                "--smtp-port", str(self.smtp), "--submission-port", "0", "--smtps-port", "0",
                "--imap-port", str(self.imap), "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
                "--https-port", "0", "--http-port", "0", "--allow-plaintext-auth", "--no-inbound-auth-checks",
                "--max-connections-per-address", "200"]
        if self.store:
            argv += ["--store", self.store]
        os.makedirs(self.storage, exist_ok=True)
        self.log = os.path.join(os.path.dirname(self.storage), os.path.basename(self.storage) + ".log")
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(argv, stdout=logf, stderr=logf, start_new_session=True)
        servers.wait_port(self.smtp, timeout=60, proc=self.proc)
        servers.wait_port(self.imap, timeout=60, proc=self.proc)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        stop_process(self.proc)
        self.proc = None


def start_nodes(binary, work, setup, pg=None, db=None, template_storage=None, hardlink=False):
    """The nodes of `setup`: one Maildir node on a copy of `template_storage` (hard-linked files with
    `hardlink`, as imap_bench.py copies its mailbox), or 1 or 3 nodes on `db`."""
    nodes = []
    try:
        if setup == "maildir":
            storage = os.path.join(work, "maildir-node")
            shutil.rmtree(storage, ignore_errors=True)
            run(["cp", "-al" if hardlink else "-a", template_storage, storage], timeout=600)
            nodes.append(Node(binary, storage).start())
        else:
            for k in range(int(setup.split("-")[1])):
                storage = os.path.join(work, f"pg-node{k + 1}")
                shutil.rmtree(storage, ignore_errors=True)
                if os.path.isdir(os.path.join(work, "node-template")):
                    run(["cp", "-a", os.path.join(work, "node-template"), storage])  # its TLS pair made once
                nodes.append(Node(binary, storage, pg.url(db)).start())
    except BaseException:
        for n in nodes:
            n.stop()
        raise
    return nodes


# --- measuring ----------------------------------------------------------------------------------------


def system_cpu():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return {"total": sum(v), "idle": v[3], "iowait": v[4]}


class Meter:
    """CPU of each root's process tree (start to end), peak RSS/PSS sampled every 100 ms, /proc/stat."""

    def __init__(self, roots, interval=0.1):
        self.roots = roots  # name -> pid
        self.interval = interval
        self.peak = {name: {"rss_kb": 0, "pss_kb": 0} for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        for name, pid in self.roots.items():
            rss, pss, _ = procstat.memory_kb(pid)
            p = self.peak[name]
            p["rss_kb"], p["pss_kb"] = max(p["rss_kb"], rss), max(p["pss_kb"], pss)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self.cpu0 = {name: procstat.cpu_seconds(pid) for name, pid in self.roots.items()}
        self.sys0 = system_cpu()
        self.t0 = time.perf_counter()
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join(5)
        self._sample()
        self.cpu = {name: round(procstat.cpu_seconds(pid) - self.cpu0[name], 3) for name, pid in self.roots.items()}
        s1 = system_cpu()
        total = max(1, s1["total"] - self.sys0["total"])
        self.machine_busy = round(1 - (s1["idle"] - self.sys0["idle"] + s1["iowait"] - self.sys0["iowait"]) / total, 3)
        self.machine_iowait = round((s1["iowait"] - self.sys0["iowait"]) / total, 3)
        return False

    def summary(self):
        nodes = [n for n in self.roots if n.startswith("correo")]
        out = {
            "correo_cpu_s": round(sum(self.cpu[n] for n in nodes), 3),
            "postgres_cpu_s": self.cpu.get("postgres"),
            "correo_peak_pss_kb": max(self.peak[n]["pss_kb"] for n in nodes),
            "correo_peak_rss_kb": max(self.peak[n]["rss_kb"] for n in nodes),
            "correo_peak_pss_kb_per_node": [self.peak[n]["pss_kb"] for n in nodes],
            "machine_busy": self.machine_busy, "machine_iowait": self.machine_iowait,
        }
        if "postgres" in self.peak:
            out["postgres_peak_pss_kb"] = self.peak["postgres"]["pss_kb"]
            out["postgres_peak_rss_kb"] = self.peak["postgres"]["rss_kb"]
        return out


def roots_of(nodes, pg=None):
    roots = {f"correo{k + 1}": n.pid for k, n in enumerate(nodes)}
    if pg is not None:
        roots["postgres"] = pg.pid
    return roots


class WaitSampler:
    """pg_stat_activity and pg_locks every `interval` s over one psql connection (diagnosis only)."""

    QUERY = ("SELECT 'a', state || ' ' || coalesce(wait_event_type || ':' || wait_event, 'CPU'), count(*) "
             "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
             "AND datname = '{db}' AND state NOT IN ('idle') GROUP BY 2 "
             "UNION ALL SELECT 'l', locktype || ' ' || coalesce(classid::regclass::text, '') || ' ' || "
             "coalesce(objid::text, '') || ' ' || mode, count(*) FROM pg_locks WHERE NOT granted GROUP BY 2;\n"
             "\\echo __end__\n")

    def __init__(self, pg, db, interval=0.02):
        self.pg, self.db, self.interval = pg, db, interval
        self.states, self.locks, self.samples = {}, {}, 0
        self._stop = threading.Event()

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", PG_USER,
             "-d", self.db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        query = self.QUERY.format(db=self.db)
        while not self._stop.wait(self.interval):
            try:
                self.proc.stdin.write(query)
                self.proc.stdin.flush()
                while True:
                    line = self.proc.stdout.readline()
                    if not line or line.startswith("__end__"):
                        break
                    kind, key, n = line.rstrip("\n").split("\t")
                    (self.states if kind == "a" else self.locks)[key] = \
                        (self.states if kind == "a" else self.locks).get(key, 0) + int(n)
                self.samples += 1
            except (OSError, ValueError):
                return

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        stop_process(self.proc, wait=5)
        return False

    def summary(self):
        busy = sum(self.states.values())
        return {"samples": self.samples,
                "busy_backends_mean": round(busy / max(1, self.samples), 2),
                "share": {k: round(v / max(1, busy), 3) for k, v in sorted(self.states.items(), key=lambda x: -x[1])},
                "ungranted_locks_mean": {k: round(v / max(1, self.samples), 2)
                                         for k, v in sorted(self.locks.items(), key=lambda x: -x[1])}}


# --- SMTP ---------------------------------------------------------------------------------------------


def ingest_driver(argv):
    """`postgres_bench.py _ingest --ports P1,P2 --count N --size S --connections C --users U`: smtp_ingest's
    connections, connection k on port k mod len(ports), one shared message counter; prints JSON."""
    import asyncio

    p = argparse.ArgumentParser()
    p.add_argument("--ports", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--users", type=int, default=USERS)
    p.add_argument("--timeout", type=float, default=300)
    a = p.parse_args(argv)
    ports = [int(x) for x in a.ports.split(",")]
    bodies = [smtp_ingest.make_message(i, a.size, "{RCPT}") for i in range(min(a.count, 64))]

    def conn_args(k):
        return argparse.Namespace(host="127.0.0.1", port=ports[k % len(ports)], count=a.count, users=a.users,
                                  domain=DOMAIN, bodies=bodies)

    async def main():
        next_index, latencies, errors = [0], [], []
        start = time.perf_counter()
        await asyncio.gather(*(smtp_ingest.connection(conn_args(k), next_index, latencies, errors)
                               for k in range(a.connections)))
        elapsed = time.perf_counter() - start
        return {"messages": a.count, "connections": a.connections, "nodes": len(ports), "errors": len(errors),
                "first_errors": errors[:3], "elapsed_s": round(elapsed, 3),
                "msgs_per_s": round((a.count - len(errors)) / elapsed, 1),
                "p50_ms": round(smtp_ingest.percentile(latencies, 50) * 1000, 3) if latencies else None,
                "p99_ms": round(smtp_ingest.percentile(latencies, 99) * 1000, 3) if latencies else None}

    print(json.dumps(asyncio.run(asyncio.wait_for(main(), a.timeout))))
    return 0


def smtp_run(ctx, setup, conns, rep, users=USERS, sampler=False, perf=None, statements=False):
    """One measured ingest on a fresh store; returns the result dict (with 'check' on a failure)."""
    pg, work, n = ctx.pg, ctx.work, ctx.args.messages
    db = f"smtp_{setup.replace('-', '_')}"
    if setup != "maildir":
        pg.create_db(db, template="bench_template")
    nodes = start_nodes(ctx.args.correo, work, setup, pg, db, ctx.maildir_template)
    result = {"setup": setup, "connections": conns, "run": rep, "users": users}
    try:
        time.sleep(0.3)
        roots = roots_of(nodes, pg if setup != "maildir" else None)
        wal0 = pg.wal_stats() if setup != "maildir" else None
        if statements and setup != "maildir":
            pg.sql("SELECT pg_stat_statements_reset()")
        cmd = [sys.executable, os.path.abspath(__file__), "_ingest", "--ports", ",".join(str(x.smtp) for x in nodes),
               "--count", str(n), "--size", str(ctx.args.size), "--connections", str(conns), "--users", str(users),
               "--timeout", str(ctx.args.timeout)]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        waits = WaitSampler(pg, db) if sampler and setup != "maildir" else None
        perf_proc = None
        if perf:
            perf_proc = subprocess.Popen(["perf", "record", "-a", "-q", "-F", "999", "-e", "cpu-clock", "-o", perf,
                                          "--", "sleep", "3600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            time.sleep(0.5)
        try:
            if waits:
                waits.__enter__()
            with Meter(roots) as meter:
                out = run(cmd, timeout=ctx.args.timeout + 30, check=False)
        finally:
            if waits:
                waits.__exit__(None, None, None)
            if perf_proc:
                os.killpg(perf_proc.pid, signal.SIGINT)
                perf_proc.wait(60)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode != 0 or not out.stdout.strip():
            result["check"] = f"driver exit {out.returncode}: {(out.stdout + out.stderr)[-600:]}"
            return result
        result.update(json.loads(out.stdout))
        result.update(meter.summary())
        result["driver_cpu_s"] = round(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, 3)
        if waits:
            result["waits"] = waits.summary()
    finally:
        for x in nodes:
            x.stop()
    if setup == "maildir":
        stored = smtp_ingest.count_new(os.path.join(work, "maildir-node"))
    else:
        time.sleep(1.2)  # backends and the WAL writer flush their statistics at most once a second
        wal1 = pg.wal_stats()
        result["wal"] = {k: round(wal1[k] - wal0[k], 1) for k in wal1}
        if statements:
            result["statements"] = pg.statements(db)
        stored = int(pg.sql("SELECT count(*) FROM messages", db=db)[0][0])
        pg.drop_db(db)
    result["stored"] = stored
    if result.get("errors") or stored != n:
        result["check"] = f"{result.get('errors')} errors, {stored} of {n} messages stored"
    per = 1000.0 / n
    result["correo_cpu_ms_per_msg"] = round(result["correo_cpu_s"] * per, 3)
    if result.get("postgres_cpu_s") is not None:
        result["postgres_cpu_ms_per_msg"] = round(result["postgres_cpu_s"] * per, 3)
    if "wal" in result:
        result["wal_syncs_per_msg"] = round(result["wal"]["wal_sync"] / n, 3)
        result["wal_bytes_per_msg"] = round(result["wal"]["wal_bytes"] / n)
        result["commits_per_msg"] = round(result["wal"]["xact_commit"] / n, 2)
        result["wal_sync_ms_per_msg"] = round(result["wal"]["wal_sync_time_ms"] / n, 4)
    return result


# --- IMAP ---------------------------------------------------------------------------------------------


def imap_session(port, manifest, barrier=None):
    """LOGIN, SELECT INBOX, then the header FETCH; returns (fetch seconds, end time, check or None)."""
    c = Client("127.0.0.1", port, timeout=300)
    try:
        c.login(manifest["user"], manifest["password"])
        _, _, lines = c.command("SELECT INBOX", collect=True)
        exists = [int(line.split()[1]) for line in lines if line.endswith(b" EXISTS")]
        if barrier is not None:
            barrier.wait(120)
        t, n, _ = c.timed(FETCH)
        end = time.perf_counter()
    finally:
        c.close()
    check = None
    if not exists or exists[-1] != manifest["count"]:
        check = f"SELECT: EXISTS {exists}, expected {manifest['count']}"
    elif n != manifest["count"]:
        check = f"{n} FETCH responses, expected {manifest['count']}"
    return t, end, check


def imap_round(ports, manifest, clients):
    """`clients` sessions at once (client k on ports[k mod len]); the wall from the barrier to the last OK."""
    if clients == 1:
        t, _, check = imap_session(ports[0], manifest)
        return {"fetch_s": round(t, 4), "each_s": [round(t, 4)], "checks": [check] if check else []}
    barrier = threading.Barrier(clients + 1)
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(imap_session, ports[k % len(ports)], manifest, barrier) for k in range(clients)]
        barrier.wait(120)
        start = time.perf_counter()
        results = [f.result(timeout=600) for f in futures]
    return {"fetch_s": round(max(r[1] for r in results) - start, 4), "each_s": [round(r[0], 4) for r in results],
            "checks": [r[2] for r in results if r[2]]}


def imap_run(ctx, setup, clients, rep, statements=False):
    pg, work = ctx.pg, ctx.work
    db = f"imap_{setup.replace('-', '_')}"
    if setup != "maildir":
        pg.create_db(db, template="imap_master")
    nodes = start_nodes(ctx.args.correo, work, setup, pg, db, ctx.imap_master, hardlink=True)
    out = {"setup": setup, "clients": clients, "run": rep}
    try:
        roots = roots_of(nodes, pg if setup != "maildir" else None)
        ports = [x.imap for x in nodes]
        for state in ("first", "second"):
            if statements:
                pg.sql("SELECT pg_stat_statements_reset()")
            with Meter(roots) as meter:
                r = imap_round(ports, ctx.manifest, clients)
            r.update(meter.summary())
            if statements:
                r["statements"] = pg.statements(db)
            out[state] = r
    finally:
        for x in nodes:
            x.stop()
        if setup != "maildir":
            pg.drop_db(db)
    checks = out.get("first", {}).get("checks", []) + out.get("second", {}).get("checks", [])
    if checks:
        out["check"] = "; ".join(checks)
    return out


# --- diagnosis ----------------------------------------------------------------------------------------


def fsync_rate(pg, work, seconds):
    """pg_test_fsync's first section (one 8 kB write, then the sync) in `work`: ops/s per method."""
    exe = os.path.join(pg.bin, "pg_test_fsync")
    if not os.access(exe, os.X_OK):
        return None
    proc = subprocess.Popen([exe, "-s", str(seconds), "-f", os.path.join(work, "pg_test_fsync.tmp")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    rates = {}
    deadline = time.time() + 20 * seconds + 30
    try:
        for line in proc.stdout:
            m = re.match(r"\s+(open_datasync|fdatasync|fsync)\s+([\d.]+) ops/sec", line)
            if m:
                rates[m.group(1)] = float(m.group(2))
            if "fsync" in rates or time.time() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    return rates


def notify_commits(pg, work, seconds, clients_list):
    """pgbench: a one-row INSERT per transaction, without and with `SELECT pg_notify(…)` as correo's
    deliveries do, at each client count; transactions/s and WAL fsyncs per transaction (same cluster, same disk)."""
    exe = os.path.join(pg.bin, "pgbench")
    if not os.access(exe, os.X_OK):
        return None
    pg.create_db("notify_bench")
    pg.sql("CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)", db="notify_bench")
    scripts = {}
    for name, extra in (("insert", ""), ("insert+notify", "SELECT pg_notify('bench', '1');\n")):
        path = os.path.join(work, f"pgbench-{name}.sql")
        with open(path, "w") as f:
            f.write("BEGIN;\nINSERT INTO t (v) VALUES (repeat('x', 100));\n" + extra + "COMMIT;\n")
        scripts[name] = path
    out = []
    for clients in clients_list:
        for name, path in scripts.items():
            pg.sql("CHECKPOINT")
            wal0 = pg.wal_stats()
            r = run([exe, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-f", path,
                     "-h", "127.0.0.1", "-p", str(pg.port), "-U", PG_USER, "notify_bench"],
                    timeout=seconds * 4 + 60, check=False)
            time.sleep(1.2)
            wal1 = pg.wal_stats()
            m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
            tx = wal1["xact_commit"] - wal0["xact_commit"]
            out.append({"script": name, "clients": clients, "tps": float(m.group(1)) if m else None,
                        "wal_syncs_per_tx": round((wal1["wal_sync"] - wal0["wal_sync"]) / tx, 3) if tx else None,
                        "error": None if m else (r.stdout + r.stderr)[-300:]})
    pg.drop_db("notify_bench")
    return out


def perf_split(path):
    """CPU share per command and per binary, and postgres' hottest symbols, from a `perf record -a` file.
    (correo's threads are named by their pools: NIO-SGLTN-… for the event loops, …default-qos for Swift's.)"""
    out = {}

    def report_lines(*extra):
        text = run(["perf", "report", "-i", path, "--stdio", *extra], timeout=300, check=False).stdout
        return [" ".join(l.split()) for l in text.splitlines() if l.strip() and not l.startswith("#")]

    try:
        out["by_command"] = report_lines("--sort", "comm", "--percent-limit", "1")[:12]
        out["by_binary"] = report_lines("--sort", "dso", "--percent-limit", "1")[:12]
        out["postgres_symbols"] = report_lines("--comms", "postgres", "--percentage", "relative", "--sort", "dso,sym",
                                               "--percent-limit", "2")[:12]
    except Exception as e:  # perf missing or the file unreadable: the diagnosis says so
        out["error"] = str(e)
    return out


# --- tables -------------------------------------------------------------------------------------------


def stats(values):
    return report.stats(values)


def fmt(values, digits=3):
    return report.fmt(stats(values), digits)


def med(values):
    s = stats(values)
    return s["median"] if s else None


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "—"


def num(v, digits):
    return "—" if v is None else f"{v:.{digits}f}"


def fmt_tps(rows, script, clients):
    r = next((x for x in rows if x["script"] == script and x["clients"] == clients), None)
    if not r or r["tps"] is None:
        return "failed"
    return f"{r['tps']:,.0f} tx/s ({r['wal_syncs_per_tx']} WAL fsyncs/tx)"


def mib(kb):
    return f"{kb / 1024:.0f}" if kb else "—"


def markdown(res):
    a = res["args"]
    L = []
    L.append(f"Run {res['date']} on {res['machine']}; correo `{a['correo']}`; PostgreSQL {res['postgres_version']} "
             f"(fsync on, synchronous_commit on, initdb's settings); {a['repeat']} run(s) per figure, medians "
             f"(min–max); load average {res['load_start']} at start, {res['load_end']} at end; took {res['duration_s']} s.")
    L.append("")
    L.append(f"**SMTP ingest**, {a['messages']:,} messages of ~{a['size']} B to 16 users, durable before the 250. "
             "CPU is per message, correo's processes and PostgreSQL's apart; PG/Maildir is the msgs/s ratio.")
    L.append("")
    L.append("| connections | setup | msgs/s | PG/Maildir | p50 / p99 ms | correo CPU ms/msg | postgres CPU ms/msg "
             "| WAL fsyncs/msg | machine busy | correo peak PSS MiB (per node) | postgres peak PSS MiB |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    smtp = res["smtp"]
    for conns in a["connections"]:
        base = med([r["msgs_per_s"] for r in smtp if r["setup"] == "maildir" and r["connections"] == conns
                    and "check" not in r])
        for setup in SETUPS:
            rs = [r for r in smtp if r["setup"] == setup and r["connections"] == conns and "check" not in r]
            if not rs:
                L.append(f"| {conns} | {setup} | failed | | | | | | | | |")
                continue
            L.append("| " + " | ".join([
                str(conns), setup, fmt([r["msgs_per_s"] for r in rs]),
                "—" if setup == "maildir" else ratio(med([r["msgs_per_s"] for r in rs]), base),
                f"{num(med([r['p50_ms'] for r in rs]), 2)} / {num(med([r['p99_ms'] for r in rs]), 1)}",
                fmt([r["correo_cpu_ms_per_msg"] for r in rs]),
                fmt([r.get("postgres_cpu_ms_per_msg") for r in rs]),
                fmt([r.get("wal_syncs_per_msg") for r in rs]),
                f"{med([r['machine_busy'] for r in rs]) * 100:.0f}%",
                mib(med([r["correo_peak_pss_kb"] for r in rs])) +
                (f" ({', '.join(mib(med([r['correo_peak_pss_kb_per_node'][k] for r in rs])) for k in range(3))})"
                 if setup == "pg-3" else ""),
                mib(med([r.get("postgres_peak_pss_kb") for r in rs])),
            ]) + " |")
    L.append("")
    imap = res["imap"]
    if imap:
        L.append(f"**IMAP header sync** of {res['imap_messages']:,} messages ({res['imap_bytes'] / 1e6:.0f} MB, "
                 f"mailgen.py), `{FETCH}`, seconds from the command to its OK (three clients: to the last OK). "
                 f"`correo migrate` copied the mailbox into PostgreSQL in {res['migrate_s']:.1f} s.")
        L.append("")
        L.append("| clients | setup | first s | PG/Maildir | second s | PG/Maildir | correo CPU s first / second "
                 "| postgres CPU s first / second | correo peak PSS MiB | postgres peak PSS MiB |")
        L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for clients in (1, 3):
            base = {st: med([r[st]["fetch_s"] for r in imap if r["setup"] == "maildir" and r["clients"] == clients
                             and st in r]) for st in ("first", "second")}
            for setup in SETUPS:
                rs = [r for r in imap if r["setup"] == setup and r["clients"] == clients and "second" in r]
                if not rs:
                    continue
                cells = [str(clients), setup + (" (one client per node)" if setup == "pg-3" else "")]
                for st in ("first", "second"):
                    cells.append(fmt([r[st]["fetch_s"] for r in rs]))
                    cells.append("—" if setup == "maildir" else ratio(med([r[st]["fetch_s"] for r in rs]), base[st]))
                cells.append(" / ".join(f"{med([r[st]['correo_cpu_s'] for r in rs]):.2f}" for st in ("first", "second")))
                cells.append("—" if setup == "maildir" else
                             " / ".join(f"{med([r[st]['postgres_cpu_s'] for r in rs]):.2f}" for st in ("first", "second")))
                cells.append(mib(med([max(r["first"]["correo_peak_pss_kb"], r["second"]["correo_peak_pss_kb"])
                                      for r in rs])))
                cells.append("—" if setup == "maildir" else
                             mib(med([max(r["first"]["postgres_peak_pss_kb"], r["second"]["postgres_peak_pss_kb"])
                                      for r in rs])))
                L.append("| " + " | ".join(cells) + " |")
        L.append("")
    d = res.get("diagnosis")
    if d:
        L.append("**Diagnosis** (one run each, not in the medians):")
        L.append("")
        if d.get("fsync"):
            L.append("- pg_test_fsync, one 8 kB write then the sync, same disk: " +
                     ", ".join(f"{k} {v:,.0f}/s" for k, v in d["fsync"].items()))
        if d.get("notify"):
            L.append("- pgbench on the same cluster, one-row INSERT per transaction, without / with "
                     "`SELECT pg_notify(…)` (as every correo delivery does): " + "; ".join(
                         f"{c} client(s) {fmt_tps(d['notify'], 'insert', c)} / {fmt_tps(d['notify'], 'insert+notify', c)}"
                         for c in sorted({x['clients'] for x in d['notify']})))
        for r in d.get("runs", []):
            w = r.get("waits", {})
            share = ", ".join(f"{k} {v * 100:.0f}%" for k, v in list(w.get("share", {}).items())[:6])
            locks = ", ".join(f"{k} {v}" for k, v in list(w.get("ungranted_locks_mean", {}).items())[:3])
            wal = (f"; WAL fsyncs/msg {r.get('wal_syncs_per_msg')}, {r['wal']['wal_sync'] / r['elapsed_s']:,.0f} "
                   f"fsyncs/s taking {r['wal']['wal_sync_time_ms'] / 1000 / r['elapsed_s'] * 100:.0f}% of the wall"
                   if "wal" in r and r.get("elapsed_s") else "")
            L.append(f"- {r['setup']}, {r['connections']} connections, {r['users']} user(s): "
                     f"{r.get('msgs_per_s', 'failed')} msgs/s; correo {r.get('correo_cpu_ms_per_msg')} + postgres "
                     f"{r.get('postgres_cpu_ms_per_msg', '—')} CPU ms/msg; machine busy "
                     f"{r.get('machine_busy', 0) * 100:.0f}%{wal}" +
                     (f"; busy backends {w.get('busy_backends_mean')} on average: {share}" if w else "") +
                     (f"; ungranted locks on average: {locks}" if locks else ""))
        for r in d.get("runs", []):
            if r.get("statements"):
                n = r["messages"]
                L.append(f"- pg_stat_statements during the {r['setup']} run with {r['users']} users, per message "
                         "(calls, mean ms, WAL bytes): " + "; ".join(
                             f"`{x['query'][:70]}` {x['calls'] / n:.2f}× {x['total_ms'] / max(1, x['calls']):.3f} ms"
                             f" {x['wal_bytes'] / n:,.0f} B" for x in r["statements"][:9]))
        if d.get("imap"):
            for st in ("first", "second"):
                r = d["imap"][st]
                L.append(f"- pg_stat_statements during the {st} header sync on pg-1 ({r['fetch_s']} s), "
                         "calls, rows, execution time, 8 kB block accesses (shared buffer hits + reads) and reads: " +
                         "; ".join(f"`{x['query'][:70]}` {x['calls']:.0f}, {x['rows']:,.0f}, {x['total_ms']:.1f} ms, "
                                   f"{x['blocks']:,.0f}, {x['blocks_read']:,.0f}"
                                   for x in r.get("statements", [])[:3]))
        if d.get("perf"):
            p = d["perf"]
            L.append("- perf record -a during the pg-3 run with 16 users, share of all samples by command: " +
                     "; ".join(p.get("by_command", [])[:8]) + "; by binary: " + "; ".join(p.get("by_binary", [])[:8]) +
                     "; postgres' own top symbols: " + "; ".join(p.get("postgres_symbols", [])[:6]))
        L.append("")
    if res["failures"]:
        L.append("**Failures:** " + "; ".join(res["failures"]))
        L.append("")
    return "\n".join(L)


# --- main ---------------------------------------------------------------------------------------------


class Context:
    pass


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_ingest":
        return ingest_driver(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--correo", required=True, help="the correo binary (a release build for figures)")
    p.add_argument("--messages", type=int, help="SMTP messages per run (default 2000; smoke 40)")
    p.add_argument("--mailbox", type=int, help="messages in the IMAP mailbox (default 5000; smoke 100)")
    p.add_argument("--repeat", type=int, help="runs per figure, the median reported (default 3; smoke 1)")
    p.add_argument("--connections", help="SMTP connection counts, comma-separated (default 1,16; smoke 1,4)")
    p.add_argument("--size", type=int, default=2000, help="SMTP message size in bytes (default 2000)")
    p.add_argument("--only", default="smtp,imap", help="smtp, imap or both (default both)")
    p.add_argument("--no-diagnose", action="store_true", help="skip the diagnosis runs")
    p.add_argument("--perf", action="store_true", help="perf record -a during the pg-3 diagnosis run")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run, < 1 min: checks that it works (CI)")
    p.add_argument("--work", help="parent of the temporary folder (default: the system's temp folder)")
    p.add_argument("--timeout", type=float, default=600, help="seconds any one ingest may take")
    p.add_argument("--out", help="JSON report (default bench/results/DATE-postgres.json; smoke: none)")
    args = p.parse_args()
    smoke = args.smoke
    args.messages = args.messages or (40 if smoke else 2000)
    args.mailbox = args.mailbox or (100 if smoke else 5000)
    args.repeat = args.repeat or (1 if smoke else 3)
    args.connections = [int(x) for x in (args.connections or ("1,4" if smoke else "1,16")).split(",")]
    args.correo = os.path.abspath(args.correo)
    if not os.access(args.correo, os.X_OK):
        p.error(f"{args.correo} is not an executable")
    only = set(args.only.split(","))

    started = time.time()
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    work = tempfile.mkdtemp(prefix="correo-pgbench-", dir=args.work)
    os.chmod(work, 0o755)
    ctx = Context()
    ctx.args, ctx.work = args, work
    res = {"date": stamp, "args": vars(args), "smtp": [], "imap": [], "failures": []}
    pg = None
    status = 0

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        pg = ctx.pg = Postgres(work)
        pg.start()
        res["postgres_version"] = pg.sql("SHOW server_version")[0][0]
        settings = pg.sql("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', "
                          "'wal_sync_method', 'shared_buffers', 'max_connections', 'full_page_writes')")
        res["postgres_settings"] = dict(settings)
        log(f"PostgreSQL {res['postgres_version']} on 127.0.0.1:{pg.port}, {res['postgres_settings']}")
        assert res["postgres_settings"]["fsync"] == "on"

        # A node folder with its TLS pair, copied for every PostgreSQL node (saves making a key per start).
        tpl = Node(args.correo, os.path.join(work, "node-template"), None).start()
        tpl.stop()
        for name in os.listdir(tpl.storage):
            path = os.path.join(tpl.storage, name)
            if name != "tls":
                shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)

        if "smtp" in only:
            # The 16 users: in a Maildir folder (copied for every run) and in a template database.
            t0 = time.perf_counter()
            ctx.maildir_template = os.path.join(work, "maildir-template")
            run(["cp", "-a", os.path.join(work, "node-template"), ctx.maildir_template])
            pg.create_db("bench_template")
            run([args.correo, "db", "migrate", "--store", pg.url("bench_template")])
            users = [f"u{i}@{DOMAIN}" for i in range(USERS)]

            for user in users:
                run([args.correo, "user", "add", user, "--password-stdin", "-s", ctx.maildir_template],
                    input=PASSWORD + "\n")
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda u: run([args.correo, "user", "add", u, "--password-stdin", "--store",
                                             pg.url("bench_template")], input=PASSWORD + "\n"), users))
            log(f"16 users in Maildir and in PostgreSQL ({time.perf_counter() - t0:.1f} s)")
            for rep in range(1, args.repeat + 1):
                for conns in args.connections:
                    for setup in SETUPS:
                        r = smtp_run(ctx, setup, conns, rep)
                        res["smtp"].append(r)
                        if "check" in r:
                            res["failures"].append(f"smtp {setup} {conns} run {rep}: {r['check']}")
                        log(f"SMTP run {rep} {setup} x{conns}: {r.get('msgs_per_s')} msgs/s, correo "
                            f"{r.get('correo_cpu_ms_per_msg')} + postgres {r.get('postgres_cpu_ms_per_msg', '-')} "
                            f"CPU ms/msg, WAL fsyncs/msg {r.get('wal_syncs_per_msg', '-')}, busy "
                            f"{r.get('machine_busy')}, {r.get('check', 'ok')}")

        if "imap" in only:
            t0 = time.perf_counter()
            ctx.imap_master = os.path.join(work, "imap-master")
            ctx.manifest = mailgen.build(ctx.imap_master, args.mailbox)
            # The node's TLS pair beside the mailbox, so that every copy starts the same way.
            run(["cp", "-a", os.path.join(work, "node-template", "tls"), os.path.join(ctx.imap_master, "tls")])
            log(f"mailbox: {ctx.manifest['count']} messages, {ctx.manifest['bytes'] / 1e6:.1f} MB "
                f"({time.perf_counter() - t0:.1f} s)")
            res["imap_messages"], res["imap_bytes"] = ctx.manifest["count"], ctx.manifest["bytes"]
            pg.create_db("imap_master")
            source = os.path.join(work, "imap-migrate-source")  # correo may write its index into the source
            run(["cp", "-al", ctx.imap_master, source])
            t0 = time.perf_counter()
            out = run([args.correo, "migrate", "--from", f"maildir:{source}", "--to", pg.url("imap_master")],
                      timeout=1800)
            res["migrate_s"] = round(time.perf_counter() - t0, 2)
            res["migrate_output"] = out.stdout[-500:]
            shutil.rmtree(source)
            copied = int(pg.sql("SELECT count(*) FROM messages", db="imap_master")[0][0])
            log(f"correo migrate: {copied} messages in {res['migrate_s']} s")
            if copied != ctx.manifest["count"]:
                res["failures"].append(f"migrate copied {copied} of {ctx.manifest['count']} messages")
            pg.sql("VACUUM ANALYZE", db="imap_master")
            for rep in range(1, args.repeat + 1):
                for clients, setups in ((1, ("maildir", "pg-1")), (3, SETUPS)):
                    for setup in setups:
                        r = imap_run(ctx, setup, clients, rep)
                        res["imap"].append(r)
                        if "check" in r:
                            res["failures"].append(f"imap {setup} x{clients} run {rep}: {r['check']}")
                        log(f"IMAP run {rep} {setup} x{clients}: first {r['first']['fetch_s']} s, second "
                            f"{r['second']['fetch_s']} s, correo CPU {r['first']['correo_cpu_s']}/"
                            f"{r['second']['correo_cpu_s']}, postgres CPU {r['first'].get('postgres_cpu_s')}/"
                            f"{r['second'].get('postgres_cpu_s')}")

        if not args.no_diagnose:
            d = res["diagnosis"] = {"runs": []}
            d["fsync"] = fsync_rate(pg, work, 1 if smoke else 2)
            log(f"pg_test_fsync: {d['fsync']}")
            d["notify"] = notify_commits(pg, work, 1 if smoke else 3, sorted({1, max(args.connections)}))
            log(f"pgbench insert / insert+notify: {d['notify']}")
            # From here on pg_stat_statements is loaded: what each delivery and each FETCH asks of the database.
            pg.restart(["shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"])
            pg.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            top = max(args.connections)
            diag = (("pg-1", USERS), ("pg-3", 1)) if smoke else (("pg-1", USERS), ("pg-3", USERS), ("pg-3", 1),
                                                                 ("maildir", 1))
            if "smtp" not in only:
                diag = ()
            for setup, users in diag:
                perf = os.path.join(work, "perf.data") if args.perf and setup == "pg-3" and users == USERS else None
                r = smtp_run(ctx, setup, top, 0, users=users, sampler=True, perf=perf,
                             statements=setup == "pg-1")
                if perf and os.path.exists(perf):
                    d["perf"] = perf_split(perf)
                d["runs"].append(r)
                if "check" in r:
                    res["failures"].append(f"diagnosis {setup} {users} user(s): {r['check']}")
                log(f"diagnosis {setup} x{top}, {users} user(s): {r.get('msgs_per_s')} msgs/s, "
                    f"waits {r.get('waits', {}).get('share')}, locks {r.get('waits', {}).get('ungranted_locks_mean')}")
            if "imap" in only:
                d["imap"] = imap_run(ctx, "pg-1", 1, 0, statements=True)
                log(f"diagnosis IMAP pg-1: first {d['imap']['first']['fetch_s']} s, second "
                    f"{d['imap']['second']['fetch_s']} s")
    except KeyboardInterrupt:
        res["failures"].append("interrupted")
        status = 130
    except Exception as e:  # noqa: BLE001 - reported, then everything is stopped and removed
        res["failures"].append(f"{type(e).__name__}: {e}")
        log(f"error: {e}")
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    res["machine"] = f"{os.cpu_count()} × {cpu}"
    res["duration_s"] = int(time.time() - started)
    res["load_start"], res["load_end"] = load_start, " ".join(f"{x:.2f}" for x in os.getloadavg())
    res.setdefault("postgres_version", "?")
    text = markdown(res) if (res["smtp"] or res["imap"]) else "no results: " + "; ".join(res["failures"])
    print(text)
    if not smoke or args.out:
        out = args.out or os.path.join(HERE, "results", f"{stamp}-postgres.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
        with open(os.path.splitext(out)[0] + ".md", "w") as f:
            f.write(text + "\n")
        log(f"wrote {out} and .md")
    log(f"done in {res['duration_s']} s")
    return status or (1 if res["failures"] else 0)


if __name__ == "__main__":
    sys.exit(main())
