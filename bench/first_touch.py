#!/usr/bin/env python3
"""IMAP LOGIN + SELECT on a big mailbox the first time it is touched: never opened, and after a restart.

    python3 bench/first_touch.py --correo .build/release/correo [--count 20000] [--runs 5]
                                 [--work bench/work/first-touch] [--drop-caches]
                                 [--callgrind OUT_PREFIX | --perf OUT_PREFIX]

Builds the deterministic mailbox of mailgen.py once (WORK/mailbox-COUNT), then per run:
  never    a fresh hard-linked copy of it (no correo-* file: the mailbox never opened), `correo imapd`
           started on a free port, one session timed from connect to the SELECT's tagged OK;
  restart  the server stopped and started again on the files the first session left (uidlist and
           caches kept), one session timed the same way.
Prints JSON: each state's runs and median (wall clock, and the server's CPU seconds in the session from
/proc/PID/stat, which a loaded machine disturbs less), the load average before and after, and the SELECT answer
of the first run (so two builds can be checked to answer alike).

--drop-caches drops the page cache before each timed session (root only; it slows everything else on
the machine, so it is off by default: the figures are then CPU cost with the files in the page cache).
--callgrind runs each server under `valgrind --tool=callgrind`, zeroes its counters once it listens
and dumps them after the session (OUT_PREFIX.never.N / .restart.N): instructions of LOGIN + SELECT only.
(valgrind 3.19 cannot read the DWARF 5 of a Swift 6 build: strip it first, `strip --strip-debug -o X correo`.)
--perf runs each server under `perf record -g -e cpu-clock` (OUT_PREFIX.STATE.N.data: the whole
process, start-up included; this VM has no hardware counters).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapclient  # noqa: E402
import mailgen  # noqa: E402
import servers  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, storage, log_path, callgrind=None, perf=None):
        self.binary, self.storage, self.log_path, self.callgrind = binary, storage, log_path, callgrind
        self.perf = perf
        self.proc = None

    def start(self, out=None):
        self.port = free_port()
        command = [self.binary, "imapd", "-s", self.storage, "-p", str(self.port), "--imaps-port", "0",
                   "--allow-plaintext-auth", "--bind", "127.0.0.1"]
        if self.callgrind:
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + command
        elif self.perf:
            command = ["perf", "record", "-q", "-g", "-F", "4000", "-e", "cpu-clock", "-o", out + ".data",
                       "--"] + command
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(command, stdout=log, stderr=log)
        servers.wait_port(self.port, timeout=300 if self.callgrind else 30, proc=self.proc)
        if self.callgrind:
            subprocess.run(["callgrind_control", "-z", str(self.proc.pid)], check=True, capture_output=True)

    def dump(self):
        if self.callgrind:
            subprocess.run(["callgrind_control", "-d", str(self.proc.pid)], check=True, capture_output=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        servers.wait_port_closed(self.port)


def cpu_seconds(pid):
    """utime + stime of the process (all its threads, ended ones included), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def session(port, manifest):
    """Connect, LOGIN, SELECT INBOX: the seconds it took and the SELECT's untagged lines."""
    start = time.perf_counter()
    c = imapclient.Client("127.0.0.1", port)
    c.login(manifest["user"], manifest["password"])
    status, _, lines = c.command("SELECT INBOX", collect=True)
    elapsed = time.perf_counter() - start
    if not status.startswith(b"OK"):
        raise RuntimeError(f"SELECT failed: {status!r}")
    c.command("LOGOUT")
    return elapsed, [line.decode(errors="replace") for line in lines]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--correo", required=True)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--work", default=os.path.join(here, "work", "first-touch"))
    p.add_argument("--drop-caches", action="store_true")
    p.add_argument("--callgrind")
    p.add_argument("--perf")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    master = os.path.join(args.work, f"mailbox-{args.count}")
    manifest = mailgen.build(master, args.count)
    storage = os.path.join(args.work, "storage")
    server = Server(os.path.abspath(args.correo), storage, os.path.join(args.work, "correo.log"), args.callgrind,
                    args.perf)
    results = {"never": [], "restart": []}
    cpu = {"never": [], "restart": []}
    answers = {}
    load_before = os.getloadavg()
    for run in range(args.runs):
        servers.reset_storage(master, storage)
        for state in ("never", "restart"):
            prefix = args.callgrind or args.perf
            server.start(f"{prefix}.{state}.{run}" if prefix else None)
            if args.drop_caches:
                servers.drop_caches()
            cpu_start = cpu_seconds(server.proc.pid)
            seconds, lines = session(server.port, manifest)
            cpu[state].append(cpu_seconds(server.proc.pid) - cpu_start)
            server.dump()
            server.stop()
            results[state].append(seconds)
            answers.setdefault(state, lines)
            print(f"run {run} {state}: {seconds:.4f} s, server CPU {cpu[state][-1]:.3f} s", file=sys.stderr,
                  flush=True)
    # UIDVALIDITY differs between fresh copies; everything else must be the same.
    report = {
        "count": args.count,
        "runs": args.runs,
        "drop_caches": args.drop_caches,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "median_s": {k: statistics.median(v) for k, v in results.items()},
        "runs_s": results,
        "server_cpu_median_s": {k: statistics.median(v) for k, v in cpu.items()},
        "server_cpu_runs_s": cpu,
        "select": answers,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
