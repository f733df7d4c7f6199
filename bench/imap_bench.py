#!/usr/bin/env python3
"""IMAP workloads on a 20,000-message Maildir, against Dovecot and (with --correo) correo's imapd.

    imap_bench.py [--count 20000] [--runs 3] [--correo PATH] [--work DIR] [--port-base 21430]
                  [--workloads header_sync,search_body,...] [--no-drop-caches]

The mailbox is built once by mailgen.py into WORK/mailbox-COUNT (deterministic) and every server gets
a hard-linked copy of it: the same bytes, its own index. Workloads (each on a fresh session that logs in
and SELECTs INBOX first):
  login_select            connect, LOGIN, SELECT INBOX (also recorded before every other workload)
  header_sync             Thunderbird's first sync: UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS
                          (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups
                          In-Reply-To Content-Type Reply-To)])
  bodystructure_envelope  FETCH 1:* (BODYSTRUCTURE ENVELOPE)
  bodies_500              500 × FETCH n BODY.PEEK[], one command at a time, spread over the mailbox
  search_subject          UID SEARCH SUBJECT <word in 1 of 97 subjects>
  search_body             UID SEARCH BODY <word in the text of 1 of 89 messages>
  store_flags             STORE on 1,000 spread messages +FLAGS (\\Flagged) (then cleared, untimed)
Each workload runs in four states, in this order:
  cold     the server's index deleted (a fresh copy of the mailbox), page cache dropped, server started:
           the first access ever
  second   right after, a second session on the same server (may still pay for index writes of the first)
  restart  server restarted and page cache dropped, its index kept: first access after a restart
  warm     right after, another session: index built, page cache hot, server running (steady state)
The page cache is dropped with `sync; echo 3 > /proc/sys/vm/drop_caches` when permitted (the JSON says
whether it was). Each figure is the median of --runs runs; servers alternate within each run.
Prints one JSON object (and writes it to --out if given).
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailgen  # noqa: E402
import procstat  # noqa: E402
import servers  # noqa: E402
from imapclient import Client  # noqa: E402

HEADER_FIELDS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups "
                 "In-Reply-To Content-Type Reply-To")
WORKLOADS = ["login_select", "header_sync", "bodystructure_envelope", "bodies_500", "search_subject",
             "search_body", "store_flags"]
STATES = ["cold", "second", "restart", "warm"]


def spread(count, n):
    step = max(1, count // n)
    return [1 + i * step for i in range(min(n, count))]


def compress(seqs):
    return ",".join(str(s) for s in seqs)


def run_workload(c, name, manifest):
    """Runs one workload on a logged-in, selected session; returns (seconds, check message or None)."""
    count = manifest["count"]
    if name == "login_select":
        return 0.0, None
    if name == "header_sync":
        t, n, _ = c.timed(f"UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])")
        return t, None if n == count else f"{n} FETCH responses, expected {count}"
    if name == "bodystructure_envelope":
        t, n, _ = c.timed("FETCH 1:* (BODYSTRUCTURE ENVELOPE)")
        return t, None if n == count else f"{n} FETCH responses, expected {count}"
    if name == "bodies_500":
        seqs = spread(count, 500)
        start = time.perf_counter()
        got = 0
        for s in seqs:
            _, n, _ = c.command(f"FETCH {s} BODY.PEEK[]")
            got += n
        t = time.perf_counter() - start
        return t, None if got == len(seqs) else f"{got} FETCH responses, expected {len(seqs)}"
    if name in ("search_subject", "search_body"):
        key, word, want = (("SUBJECT", manifest["subject_word"], manifest["subject_hits"]) if name == "search_subject"
                           else ("BODY", manifest["body_word"], manifest["body_hits"]))
        t, _, lines = c.timed(f"UID SEARCH {key} {word}", collect=True)
        hits = sum(len(line.split()) - 2 for line in lines if line.upper().startswith(b"* SEARCH"))
        return t, None if hits == want else f"{hits} hits, expected {want}"
    if name == "store_flags":
        seqs = compress(spread(count, 1000))
        t, n, _ = c.timed(f"STORE {seqs} +FLAGS (\\Flagged)")
        c.command(f"STORE {seqs} -FLAGS.SILENT (\\Flagged)")
        return t, None if n >= min(1000, count) else f"{n} FETCH responses, expected 1000"
    raise ValueError(name)


def session(port, manifest, name):
    start = time.perf_counter()
    c = Client("127.0.0.1", port)
    c.login(manifest["user"], manifest["password"])
    _, _, lines = c.command("SELECT INBOX", collect=True)
    login_select = time.perf_counter() - start
    exists = [int(line.split()[1]) for line in lines if line.endswith(b" EXISTS")]
    check = None if exists and exists[-1] == manifest["count"] else f"SELECT: EXISTS {exists}, expected {manifest['count']}"
    t, workload_check = run_workload(c, name, manifest)
    c.close()
    return (login_select if name == "login_select" else t), login_select, check or workload_check


def one_run(server, master, storage, manifest, workloads, drop, results, log):
    for name in workloads:
        dropped = True

        def record(state):
            t, ls, check = session(server.port, manifest, name)
            results[name][state].append(t)
            results["login_select_before"][state].append(ls)
            if check:
                results["checks"].append(f"{name}/{state}: {check}")

        server.stop()
        servers.reset_storage(master, storage)
        server.clear_index()
        server.prepare_storage()  # before the drop: its walk would warm the directories it reads
        if drop:
            dropped = servers.drop_caches() and dropped
        server.start()
        record("cold")
        record("second")
        server.stop()
        if drop:
            dropped = servers.drop_caches() and dropped
        server.start()
        record("restart")
        record("warm")
        results["caches_dropped"] = drop and dropped
        log(f"  {server.name} {name}: " + ", ".join(f"{s} {results[name][s][-1]:.3f}s" for s in STATES))
    server.stop()


def summarize(results):
    out = {}
    for name, states in results.items():
        if not isinstance(states, dict):
            out[name] = states
            continue
        out[name] = {}
        for state, values in states.items():
            if values:
                out[name][state] = {"median_s": round(statistics.median(values), 4), "min_s": round(min(values), 4),
                                    "max_s": round(max(values), 4), "runs": [round(v, 4) for v in values]}
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--correo", help="path to the correo binary")
    p.add_argument("--no-dovecot", action="store_true")
    p.add_argument("--work", default=os.path.join(here, "work"))
    p.add_argument("--port-base", type=int, default=21430)
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--no-drop-caches", action="store_true")
    p.add_argument("--out")
    args = p.parse_args()
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w}")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    master = os.path.join(args.work, f"mailbox-{args.count}")
    t0 = time.perf_counter()
    manifest = mailgen.build(master, args.count)
    log(f"mailbox: {manifest['count']} messages, {manifest['bytes'] / 1e6:.1f} MB "
        f"({time.perf_counter() - t0:.1f}s to build or check)")
    servers.chown_tree_dirs(master)

    svrs = []
    if not args.no_dovecot:
        svrs.append(servers.Dovecot(os.path.join(args.work, "imap-dovecot", "srv"),
                                    os.path.join(args.work, "imap-dovecot", "storage"), args.port_base))
    notes = []
    if args.correo:
        probe_dir = os.path.join(args.work, "probe")
        os.makedirs(probe_dir, exist_ok=True)
        if servers.correo_available(args.correo, ["imapd", "-s", probe_dir, "-p", str(args.port_base + 9),
                                                  "--imaps-port", "0", "--allow-plaintext-auth", "--bind",
                                                  "127.0.0.1"]):
            svrs.append(servers.Correo(args.correo, os.path.join(args.work, "imap-correo", "srv"),
                                       os.path.join(args.work, "imap-correo", "storage"), args.port_base + 1))
        else:
            notes.append("correo imapd: not yet available, skipped")
            log(notes[-1])

    all_results = {}
    for s in svrs:
        all_results[s.name] = {w: {st: [] for st in STATES} for w in workloads}
        all_results[s.name]["login_select_before"] = {st: [] for st in STATES}
        all_results[s.name]["checks"] = []
    loads = []
    for run in range(args.runs):
        for s in svrs:
            loads.append(procstat.load_average()[0])
            log(f"run {run + 1}/{args.runs} {s.name} (load {loads[-1]:.2f})")
            try:
                one_run(s, master, s.storage, manifest, workloads, not args.no_drop_caches, all_results[s.name], log)
            finally:
                s.stop()
    result = {"workload": "imap", "messages": manifest["count"], "mailbox_bytes": manifest["bytes"],
              "runs": args.runs, "load_average_1m": loads, "notes": notes,
              "servers": {name: summarize(r) for name, r in all_results.items()}}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    return 1 if any(r["checks"] for r in all_results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
