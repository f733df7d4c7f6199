#!/usr/bin/env python3
"""SMTP ingest, side by side: Postfix (bench/postfix.sh) and, with --correo, `correo smtpd`, each a fresh
instance per measurement on a scratch folder, driven by smtp_ingest.py.

    smtp_bench.py [--runs 3] [--configs 2000x2000x1,2000x2000x16,200x200000x1,200x200000x16]
                  [--correo PATH] [--local-delivery direct,queue] [--work DIR] [--port-base 21410] [--out FILE]

A config is COUNTxSIZExCONNECTIONS. correo runs as
    correo smtpd -d bench.test -s STORAGE -p PORT --submission-port 0 --smtps-port 0 --bind 127.0.0.1
with STORAGE/passwords.txt listing u0..u15@bench.test (mail lands in STORAGE/uN@bench.test/new/).
`--local-delivery direct,queue` runs correo once per design (`--local-delivery queue` is named
"correo-queue"): durable in new/ before the 250, or durable in the queue before the 250 and in new/ just
after. Either way a run ends when every message is in a new/ folder, as for Postfix.
Prints one JSON object with every run and the medians.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstat  # noqa: E402
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = 16
DOMAIN = "bench.test"


class Postfix:
    name = "postfix"

    def __init__(self, work, port):
        self.dir = os.path.join(work, "smtp-postfix")
        self.port = port
        self.maildir = os.path.join(self.dir, "vmail")

    def start(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        subprocess.run(["bash", os.path.join(HERE, "postfix.sh"), "start", self.dir, str(self.port), DOMAIN,
                        str(USERS)], check=True)
        out = subprocess.run(["bash", os.path.join(HERE, "postfix.sh"), "pid", self.dir], check=True,
                             capture_output=True, text=True)
        return int(out.stdout.strip())

    def stop(self):
        if os.path.exists(os.path.join(self.dir, "etc", "main.cf")):
            subprocess.run(["bash", os.path.join(HERE, "postfix.sh"), "stop", self.dir], check=False)


class CorreoSMTPD:
    def __init__(self, binary, work, port, local_delivery="direct"):
        self.binary = binary
        self.local_delivery = local_delivery
        self.name = "correo" if local_delivery == "direct" else f"correo-{local_delivery}"
        self.dir = os.path.join(work, f"smtp-{self.name}")
        self.maildir = os.path.join(self.dir, "storage")
        self.port = port
        self.proc = None

    def args(self, port):
        return ["smtpd", "-d", DOMAIN, "-s", self.maildir, "-p", str(port), "--submission-port", "0",
                "--smtps-port", "0", "--bind", "127.0.0.1", "--local-delivery", self.local_delivery]

    def prepare(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.maildir)
        with open(os.path.join(self.maildir, "passwords.txt"), "w") as f:
            for i in range(USERS):
                f.write(f"u{i}@{DOMAIN}:benchpass\n")

    def start(self):
        self.stop()
        self.prepare()
        log = open(os.path.join(self.dir, "correo-smtpd.log"), "ab")
        self.proc = subprocess.Popen([self.binary, *self.args(self.port)], stdout=log, stderr=log)
        servers.wait_port(self.port, proc=self.proc)
        return self.proc.pid

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            servers.wait_port_closed(self.port)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--configs", default="2000x2000x1,2000x2000x16,200x200000x1,200x200000x16")
    p.add_argument("--correo")
    p.add_argument("--local-delivery", default="direct",
                   help="correo's designs to run, comma-separated: direct, queue (default: direct)")
    p.add_argument("--work", default=os.path.join(HERE, "work"))
    p.add_argument("--port-base", type=int, default=21410)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out")
    args = p.parse_args()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    svrs = [Postfix(args.work, args.port_base)]
    notes = []
    for n, design in enumerate(args.local_delivery.split(",") if args.correo else []):
        c = CorreoSMTPD(args.correo, args.work, args.port_base + 1 + n, design)
        c.prepare()
        if servers.correo_available(args.correo, c.args(args.port_base + 9)):
            svrs.append(c)
        else:
            notes.append(f"{c.name} smtpd: not yet available, skipped")
            log(notes[-1])
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]
    runs = {s.name: {c: [] for c in args.configs.split(",")} for s in svrs}
    failures = []
    for r in range(args.runs):
        for cfg_name, (count, size, conns) in zip(args.configs.split(","), configs):
            for s in svrs:
                pid = s.start()
                try:
                    time.sleep(0.5)
                    out = subprocess.run(
                        [sys.executable, os.path.join(HERE, "smtp_ingest.py"), "--port", str(s.port), "--maildir",
                         s.maildir, "--count", str(count), "--size", str(size), "--connections", str(conns),
                         "--users", str(USERS), "--domain", DOMAIN, "--pid", str(pid), "--timeout",
                         str(args.timeout)], capture_output=True, text=True)
                finally:
                    s.stop()
                if out.returncode != 0 or not out.stdout.strip():
                    failures.append(f"{s.name} {cfg_name} run {r + 1}: exit {out.returncode}: "
                                    f"{(out.stdout + out.stderr).strip()[-400:]}")
                    log(failures[-1])
                    continue
                res = json.loads(out.stdout)
                runs[s.name][cfg_name].append(res)
                log(f"run {r + 1} {s.name} {cfg_name}: {res['msgs_per_s']} msg/s, p50 {res['p50_ms']} ms, "
                    f"p99 {res['p99_ms']} ms, cpu {res.get('server_cpu_s')} s, "
                    f"peak pss {res.get('server_peak_pss_kb')} KiB (load {res['load_average'][0]})")

    def med(values):
        values = [v for v in values if v is not None]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None

    summary = {}
    for sname, per_cfg in runs.items():
        summary[sname] = {}
        for cfg_name, results in per_cfg.items():
            summary[sname][cfg_name] = {k: med([x.get(k) for x in results]) for k in
                                        ("msgs_per_s", "p50_ms", "p99_ms", "server_cpu_s", "server_peak_rss_kb",
                                         "server_peak_pss_kb")}
            summary[sname][cfg_name]["runs"] = len(results)
    result = {"workload": "smtp_ingest", "notes": notes, "failures": failures, "summary": summary, "raw": runs}
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
