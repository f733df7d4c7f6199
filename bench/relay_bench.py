#!/usr/bin/env python3
"""Relay benchmark of issue 12: N messages to M domains through a relay, correo against Postfix, same
load, same sink, one run (stdlib only, root only: it builds an `ip netns` lab with interop/lab/lab.py).

    python3 bench/relay_bench.py --correo PATH [--messages 10000 --domains 100 --runs 1 --connections 4]

Topology (198.51.100.0/24 + 2001:db8:100::/64 only): `dns` (dnsmasq; MX d0.test … d{M-1}.test → mx.s.test),
`r` (the relay under test: a private Postfix, then correo), `s` (this script's counting sink on port 25),
`l` (the loader). For each relay: the loader submits N messages of ~2 KB over K connections (Postfix:
port 25, the loader's address in mynetworks; correo: port 587 with AUTH PLAIN, --allow-plaintext-auth),
each to a random domain; the bench measures submission msgs/s, end-to-end msgs/s (first connection of the
loader until the sink has counted all N), the relay tree's peak RSS/PSS (sampled every 100 ms from
/proc/PID/smaps_rollup) and CPU seconds (utime+stime+cutime+cstime of the tree), the sink's CPU, and for
correo the size of its queue folder over time and the number of `[Relay] delivery attempt` log lines.

Internal modes (run by the bench inside the lab's hosts): `--sink-mode`, `--loader-mode`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# ----------------------------------------------------------------------------------------------------
# The sink: counts messages and bytes, writes the counts to a file every 50 ms (PIPELINING, no TLS).


def sink_main(args) -> int:
    stats = {"messages": 0, "recipients": 0, "bytes": 0, "connections": 0, "first": None, "last": None}

    class S(asyncio.Protocol):
        def connection_made(self, tr):
            self.tr, self.buf, self.data, self.rcpts = tr, bytearray(), False, 0
            stats["connections"] += 1
            tr.write(b"220 mx.s.test ESMTP bench sink\r\n")

        def data_received(self, chunk):
            self.buf += chunk
            out = []
            while True:
                if self.data:
                    end = self.buf.find(b"\r\n.\r\n")
                    if end < 0:
                        break
                    size = end + 2
                    del self.buf[: end + 5]
                    self.data = False
                    now = time.monotonic()
                    stats["messages"] += 1
                    stats["recipients"] += self.rcpts
                    stats["bytes"] += size
                    stats["first"] = stats["first"] or now
                    stats["last"] = now
                    self.rcpts = 0
                    out.append(b"250 2.0.0 queued\r\n")
                    continue
                nl = self.buf.find(b"\r\n")
                if nl < 0:
                    if len(self.buf) > 8192:
                        self.tr.close()
                    break
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 2]
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    out.append(b"250-mx.s.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n"
                               b"250 ENHANCEDSTATUSCODES\r\n" if verb == b"EHLO" else b"250 mx.s.test\r\n")
                elif verb == b"MAIL":
                    self.rcpts = 0
                    out.append(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    self.rcpts += 1
                    out.append(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    self.data = True
                    out.append(b"354 go\r\n")
                elif verb == b"QUIT":
                    out.append(b"221 2.0.0 bye\r\n")
                    self.tr.write(b"".join(out))
                    self.tr.close()
                    return
                else:  # RSET, NOOP
                    out.append(b"250 2.0.0 ok\r\n")
            if out:
                self.tr.write(b"".join(out))

    async def serve():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        servers = [await loop.create_server(S, host, 25, backlog=1024, reuse_address=True) for host in args.listen]
        tmp = args.counts + ".tmp"
        last = None
        while not stop.is_set():
            snap = (stats["messages"], stats["bytes"], stats["connections"])
            if snap != last:
                t = os.times()
                with open(tmp, "w") as f:
                    json.dump({**stats, "cpu_s": round(t.user + t.system, 3)}, f)
                os.replace(tmp, args.counts)
                last = snap
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except asyncio.TimeoutError:
                pass
        for s in servers:
            s.close()

    asyncio.run(serve())
    return 0


# ----------------------------------------------------------------------------------------------------
# The loader: K connections (threads, smtplib), N messages of ~2 KB, each to a random domain.


def loader_main(args) -> int:
    rnd = random.Random(args.seed)
    rcpts = [f"u{i % 50}@d{rnd.randrange(args.domains)}.test" for i in range(args.messages)]
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklm\r\n"  # 72 octets
    filler = line * 26  # ~1.9 KB of body, ~2 KB with the header
    results, errors, lock = [], [], threading.Lock()

    def worker(k: int) -> None:
        mine = range(k, args.messages, args.connections)
        sent = 0
        try:
            c = smtplib.SMTP(args.server, args.port, local_hostname="l.test", timeout=60)
            c.ehlo()
            if args.user:
                c.login(args.user, args.password)
            for i in mine:
                msg = (f"From: <{args.sender}>\r\nTo: <{rcpts[i]}>\r\nSubject: relay bench {i}\r\n"
                       f"Message-ID: <rb{i}.{args.seed}@l.test>\r\n\r\n{filler}\r\n")
                c.sendmail(args.sender, [rcpts[i]], msg.encode())
                sent += 1
            c.quit()
        except Exception as e:  # reported; the bench counts it as a failed run
            with lock:
                errors.append(f"connection {k}: {type(e).__name__}: {e}")
        with lock:
            results.append(sent)

    t0 = time.time()
    mine = [k for k in range(args.connections) if k % args.loaders == args.loader_index]
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in mine]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.timeout)
    print(json.dumps({"start": t0, "end": time.time(), "sent": sum(results), "errors": errors[:5]}), flush=True)
    return 0 if not errors else 1


# ----------------------------------------------------------------------------------------------------
# The bench


def topology(domains: int):
    from lab import MX, Host, Topology

    n4, n6 = "198.51.100.", "2001:db8:100::"
    hosts = [Host("dns", n4 + "53", n6 + "53", "ns.test"), Host("r", n4 + "20", n6 + "20", "mx.r.test"),
             Host("s", n4 + "30", n6 + "30", "mx.s.test"), Host("l", n4 + "40", n6 + "40", "l.test")]
    records = [MX("r.test", "mx.r.test")] + [MX(f"d{i}.test", "mx.s.test") for i in range(domains)]
    return Topology(hosts, records)


def dir_count(path: Path) -> int:
    n = 0
    for _root, _dirs, files in os.walk(path):
        n += len(files)
    return n


def one_run(lab, kind: str, args, correo_bin: str | None, run_no: int) -> dict:
    import procstat
    from lab import LabError

    work = lab.work / f"{kind}-{run_no}"
    work.mkdir(parents=True, exist_ok=True)
    counts = work / "sink.json"
    sink = lab.spawn("s", [sys.executable, str(Path(__file__).resolve()), "--sink-mode", "--counts", str(counts),
                           "--listen", lab.ip("s"), "--listen", lab.ip("s", 6)], name=f"sink-{kind}")
    if not lab.wait_port("l", lab.ip("s"), 25, timeout=10, proc=sink):
        raise LabError(f"sink did not start: {sink.output()[-1000:]}")
    queue_dir = None
    log_proc = None
    if kind == "postfix":
        pf = lab.start_postfix("r", "r.test", submission_port=None, mynetworks=[lab.ip("l") + "/32"],
                               main=args.postfix_main)
        root = int((pf.dir / "spool" / "pid" / "master.pid").read_text().split()[0])
        port, user = 25, None
        queue_dir = pf.dir / "spool"
    else:
        storage = work / "correo"
        storage.mkdir()
        r = subprocess.run([correo_bin, "user", "add", "alice@r.test", "-s", str(storage), "--password-stdin"],
                           input="benchpw\n", capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise LabError(f"correo user add: {r.stdout}{r.stderr}")
        shutil.chown(storage, "nobody", "nogroup")
        for p in storage.rglob("*"):
            shutil.chown(p, "nobody", "nogroup")
        argv = [correo_bin, "serve", "-s", str(storage), "--domain", "r.test", "--hostname", "mx.r.test",
                "--bind", "::", "--smtp-port", "25", "--submission-port", "587", "--smtps-port", "0",
                "--imap-port", "0", "--imaps-port", "0", "--dns-server", lab.ip("dns"), "--user", "nobody",
                "--allow-plaintext-auth", *args.correo_arg]
        log_proc = lab.spawn("r", argv, name="correo")
        for p in (25, 587):
            if not lab.wait_port("l", lab.ip("r"), p, timeout=15, proc=log_proc):
                raise LabError(f"correo not listening on {p}: {log_proc.output()[-2000:]}")
        root = log_proc.pid
        port, user = 587, "alice@r.test"
        queue_dir = storage / "queue"

    loader_argv = [sys.executable, str(Path(__file__).resolve()), "--loader-mode", "--server", lab.ip("r"),
                   "--port", str(port), "--messages", str(args.messages), "--domains", str(args.domains),
                   "--connections", str(args.connections), "--seed", str(run_no), "--sender", "alice@r.test",
                   "--timeout", str(args.timeout)]
    if user:
        loader_argv += ["--user", user, "--password", "benchpw"]
    queue_series = []  # (t, files in the queue folder)
    load0 = procstat.load_average()
    with procstat.TreeSampler(root, 0.1) as sampler:
        t0 = time.time()
        loaders = [lab.spawn("l", loader_argv + ["--loaders", str(args.loaders), "--loader-index", str(i)],
                             name=f"loader-{kind}-{i}") for i in range(args.loaders)]
        got, t_done, last_q = 0, None, 0.0
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            try:
                c = json.loads(counts.read_text())
                got = c["messages"]
            except (OSError, ValueError):
                pass
            if got >= args.messages:
                t_done = time.time()
                break
            if time.monotonic() - last_q >= 1.0:
                last_q = time.monotonic()
                queue_series.append((round(time.time() - t0, 1), dir_count(queue_dir)))
            time.sleep(0.02)
        for loader in loaders:
            loader.popen.wait(timeout=max(1, deadline - time.monotonic()))
    load1 = procstat.load_average()
    parts = []
    for loader in loaders:
        try:
            parts.append(json.loads(loader.output().strip().splitlines()[-1]))
        except (ValueError, IndexError):
            parts.append({"errors": [loader.output()[-1000:]]})
    ok = [x for x in parts if "start" in x]
    ld = {"errors": [e for x in parts for e in x.get("errors", [])][:5], "processes": len(loaders)}
    if ok:
        ld.update(start=min(x["start"] for x in ok), end=max(x["end"] for x in ok), sent=sum(x["sent"] for x in ok))
    sink.stop()
    sc = json.loads(counts.read_text())
    res = {"relay": kind, "run": run_no, "messages": args.messages, "domains": args.domains,
           "connections": args.connections, "sink_messages": sc["messages"], "sink_bytes": sc["bytes"],
           "sink_connections": sc["connections"], "sink_cpu_s": sc["cpu_s"],
           "loader": ld, "complete": t_done is not None, **sampler.summary(),
           "load_average_start": load0, "load_average_end": load1,
           "queue_files_series": queue_series, "queue_files_peak": max((q for _, q in queue_series), default=0)}
    if "start" in ld and ld.get("sent"):
        res["submit_msgs_per_s"] = round(ld["sent"] / (ld["end"] - ld["start"]), 1)
        res["submit_s"] = round(ld["end"] - ld["start"], 2)
        if t_done:
            res["end_to_end_s"] = round(t_done - ld["start"], 2)
            res["end_to_end_msgs_per_s"] = round(args.messages / (t_done - ld["start"]), 1)
            res["sink_first_to_last_s"] = round(sc["last"] - sc["first"], 2)
    if kind == "postfix":
        pf.stop()
        lab.postfixes.remove(pf)
        log = pf.log_text()
        res["relay_log_sent"] = log.count("status=sent")
        res["relay_log_deferred"] = log.count("status=deferred")
        shutil.copy(pf.log, work / "postfix.log")
    else:
        out = log_proc.output()
        log_proc.stop(grace=5)
        res["relay_log_attempts"] = out.count("[Relay] delivery attempt")
        res["relay_log_sent"] = out.count("status=sent") + out.count("status=relayed")
        res["relay_log_deferred"] = out.count("status=deferred")
        (work / "correo.log").write_text(out)
    return res


def bench_main(args) -> int:
    sys.path.insert(0, str(ROOT / "interop" / "lab"))
    sys.path.insert(0, str(HERE))
    from lab import Lab

    if os.geteuid() != 0:
        print("relay_bench: run as root (it builds an ip netns lab)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="relaybench-"))
    os.chmod(tmp, 0o755)
    correo_bin = None
    if args.correo:
        correo_bin = str(tmp / "correo")
        shutil.copy2(args.correo, correo_bin)
    args.postfix_main = dict(kv.split("=", 1) for kv in args.postfix_param)
    relays = ["postfix"] + (["correo"] if correo_bin else [])
    results = []
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    try:
        with Lab(topology(args.domains), prefix="rbench", keep_on_failure=True) as lab:
            for run_no in range(args.runs):
                for kind in relays:
                    print(f"relay_bench: run {run_no + 1}/{args.runs}: {kind}, {args.messages} messages to "
                          f"{args.domains} domains over {args.connections} connections", flush=True)
                    r = one_run(lab, kind, args, correo_bin, run_no)
                    print(json.dumps({k: v for k, v in r.items() if k != "queue_files_series"}), flush=True)
                    results.append(r)
                    if kind == "correo":  # kept out of the lab's work folder, which goes at teardown
                        dst = HERE / "work" / f"relay-{stamp}"
                        dst.mkdir(parents=True, exist_ok=True)
                        shutil.copy(lab.work / f"correo-{run_no}" / "correo.log", dst / f"correo-{run_no}.log")
                    if kind == "postfix":
                        dst = HERE / "work" / f"relay-{stamp}"
                        dst.mkdir(parents=True, exist_ok=True)
                        shutil.copy(lab.work / f"postfix-{run_no}" / "postfix.log", dst / f"postfix-{run_no}.log")
                        shutil.rmtree(lab.work / "postfix-r", ignore_errors=True)  # a fresh instance next run
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(kind, key):
        vals = [r[key] for r in results if r["relay"] == kind and r.get(key) is not None]
        return statistics.median(vals) if vals else None

    summary = {}
    for kind in relays:
        summary[kind] = {k: med(kind, k) for k in ("end_to_end_msgs_per_s", "submit_msgs_per_s", "server_peak_rss_kb",
                                                   "server_peak_pss_kb", "server_cpu_s", "sink_cpu_s",
                                                   "queue_files_peak")}
        summary[kind]["complete_runs"] = sum(1 for r in results if r["relay"] == kind and r["complete"])
    if "correo" in summary and summary["postfix"]["end_to_end_msgs_per_s"] and summary["correo"]["end_to_end_msgs_per_s"]:
        summary["ratio_end_to_end_correo_over_postfix"] = round(
            summary["correo"]["end_to_end_msgs_per_s"] / summary["postfix"]["end_to_end_msgs_per_s"], 2)
    out = {"date": stamp, "argv": sys.argv, "summary": summary, "runs": results}
    (HERE / "results").mkdir(exist_ok=True)
    path = HERE / "results" / f"{stamp}-relay-{args.messages}x{args.domains}.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(summary, indent=1))
    print(f"relay_bench: results in {path}")
    return 0 if all(r["complete"] for r in results) else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--correo", help="correo binary (copied to a temporary folder first); without it Postfix alone")
    p.add_argument("--messages", type=int, default=10000)
    p.add_argument("--domains", type=int, default=100)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--connections", type=int, default=4, help="loader connections in parallel")
    p.add_argument("--loaders", type=int, default=1, help="loader processes (the connections are split among them)")
    p.add_argument("--loader-index", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, default=600, help="seconds each relay gets for the whole load")
    p.add_argument("--correo-arg", action="append", default=[], help="extra argument for correo serve")
    p.add_argument("--postfix-param", action="append", default=[], help="main.cf NAME=VALUE for the Postfix relay")
    # internal modes
    p.add_argument("--sink-mode", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--loader-mode", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--counts", help=argparse.SUPPRESS)
    p.add_argument("--listen", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("--server", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--user", help=argparse.SUPPRESS)
    p.add_argument("--password", help=argparse.SUPPRESS)
    p.add_argument("--sender", default="alice@r.test", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.sink_mode:
        return sink_main(args)
    if args.loader_mode:
        return loader_main(args)
    return bench_main(args)


if __name__ == "__main__":
    sys.exit(main())
