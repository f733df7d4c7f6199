#!/usr/bin/env python3
"""Two correo builds side by side on one IMAP step, page cache dropped: which build is faster, by how much.

    python3 bench/ab_imap.py --state restart|never
                             --step login_select|store|search_subject|bodies_500|header_sync|bodystructure_envelope
                             [--runs 9] [--count 20000] [--work bench/work/ab] BIN_A BIN_B

A full `bench/run` compares correo with Dovecot; this compares two builds of correo on one step, the
way each change of issue 16 was measured: the builds alternate run by run (a machine whose speed drifts
drifts for both), each on its own hard-linked copy of the mailbox of mailgen.py (two builds may keep
different index files), and `echo 3 > /proc/sys/vm/drop_caches` runs after the server has started
(root only), so the step reads the mailbox, the index and any code it has not run yet from the disk.
  never    a fresh copy (no correo-* file) before every run: the folder's first scan
  restart  the copy left by the last run of that build (one untimed run first builds its index)
Timed: connect + LOGIN + SELECT INBOX for login_select, else the step alone on a selected session:
STORE +FLAGS (\\Flagged) on 1,000 spread messages (cleared untimed), UID SEARCH SUBJECT on the word
1 in 97 subjects hold, 500 FETCH BODY.PEEK[] one at a time, or imap_bench.py's header sync or
FETCH 1:* (BODYSTRUCTURE ENVELOPE) (as UID FETCH). Prints JSON: each build's runs and median
in ms, and whether both gave the same answers.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapclient  # noqa: E402
import mailgen  # noqa: E402
import servers  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "common"))
import netutil  # noqa: E402


def session(port, manifest, step):
    """Runs one timed step; returns (seconds, the answer's lines that must match between builds)."""
    start = time.perf_counter()
    c = imapclient.Client("127.0.0.1", port)
    c.login(manifest["user"], manifest["password"])
    _, _, lines = c.command("SELECT INBOX", collect=True)
    answer = [line for line in lines if b"UIDVALIDITY" not in line and b"HIGHESTMODSEQ" not in line]
    if step != "login_select":
        count = manifest["count"]
        if step == "store":
            seqs = ",".join(str(1 + i * (count // 1000)) for i in range(min(1000, count)))
            start = time.perf_counter()
            status, n, _ = c.command(f"STORE {seqs} +FLAGS (\\Flagged)")
            elapsed = time.perf_counter() - start
            c.command(f"STORE {seqs} -FLAGS.SILENT (\\Flagged)")
            answer = [status[:2], n]
        elif step in ("header_sync", "bodystructure_envelope"):
            items = ("(BODYSTRUCTURE ENVELOPE)" if step == "bodystructure_envelope" else
                     "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID "
                     "Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])")
            start = time.perf_counter()
            status, n, _ = c.command(f"UID FETCH 1:* {items}")
            elapsed = time.perf_counter() - start
            answer = [status[:2], n]
        elif step == "search_subject":
            start = time.perf_counter()
            _, _, answer = c.command(f"UID SEARCH SUBJECT {manifest['subject_word']}", collect=True)
            elapsed = time.perf_counter() - start
        else:
            start = time.perf_counter()
            got = sum(c.command(f"FETCH {s} BODY.PEEK[]")[1] for s in range(1, count + 1, max(1, count // 500)))
            elapsed = time.perf_counter() - start
            answer = [got]
    else:
        elapsed = time.perf_counter() - start
    c.command("LOGOUT")
    return elapsed, answer


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state", choices=["restart", "never"], required=True)
    p.add_argument("--step", choices=["login_select", "store", "search_subject", "bodies_500", "header_sync",
                                                "bodystructure_envelope"], required=True)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--work", default=os.path.join(here, "work", "ab"))
    p.add_argument("builds", nargs=2)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    master = os.path.join(args.work, f"mailbox-{args.count}")
    manifest = mailgen.build(master, args.count)
    builds = [os.path.abspath(b) for b in args.builds]
    copies = {b: os.path.join(args.work, f"copy-{i}") for i, b in enumerate(builds)}
    times = {b: [] for b in builds}
    answers = {b: None for b in builds}
    log = open(os.path.join(args.work, "correo.log"), "ab")
    for b in builds:
        servers.reset_storage(master, copies[b])
    for run in range(args.runs + (1 if args.state == "restart" else 0)):
        for b in builds:
            if args.state == "never":
                servers.reset_storage(master, copies[b])
            port = netutil.free_port()
            proc = subprocess.Popen([b, "imapd", "-s", copies[b], "-p", str(port), "--imaps-port", "0",
                                     "--allow-plaintext-auth", "--bind", "127.0.0.1"], stdout=log, stderr=log)
            try:
                servers.wait_port(port, timeout=60, proc=proc)
                if not servers.drop_caches():
                    sys.exit("ab_imap.py: cannot drop the page cache (run as root)")
                elapsed, answer = session(port, manifest, args.step)
            finally:
                proc.terminate()
                proc.wait(60)
            if args.state == "restart" and run == 0:
                continue  # builds the copy's index; not timed
            times[b].append(elapsed)
            answers[b] = answers[b] or answer
            print(f"run {run} {os.path.basename(b)}: {1000 * elapsed:.1f} ms", file=sys.stderr, flush=True)
    report = {
        "state": args.state,
        "step": args.step,
        "runs": args.runs,
        "median_ms": {b: round(1000 * statistics.median(times[b]), 1) for b in builds},
        "runs_ms": {b: [round(1000 * t, 1) for t in times[b]] for b in builds},
        "same_answers": answers[builds[0]] == answers[builds[1]],
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
