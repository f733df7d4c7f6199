#!/usr/bin/env python3
"""Gathers one bench/run.sh run folder (smtp.json, imap.json, idle.jsonl, merge.jsonl, meta.json) into one
JSON document and a Markdown table: correo, the reference, and the ratio correo / reference from the same
run (medians of the runs, with min–max).

    report.py RUN_DIR --json OUT.json --markdown OUT.md [--benchmarks BENCHMARKS.md --source results/DATE.md]

With --benchmarks, the table also replaces the generated part of BENCHMARKS.md (between the two
BEGIN/END markers below; appended when the file has none), so that a full run rewrites the figures
people read while the prose around them stays as written.
"""

import argparse
import re
import json
import os
import statistics
import sys


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def load_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(s, digits=3):
    if not s:
        return "—"
    def f(v):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    if s.get("n", 1) > 1 and s["min"] != s["max"]:
        return f"{f(s['median'])} ({f(s['min'])}–{f(s['max'])})"
    return f(s["median"])


def ratio(c, r):
    if not c or not r or not r["median"]:
        return "—"
    return f"{c['median'] / r['median']:.2f}"


BEGIN = "<!-- bench/run: generated results, begin -->"
END = "<!-- bench/run: generated results, end -->"


def rewrite_benchmarks(path, text, source):
    """Replaces BENCHMARKS.md's generated section with this run's table (or appends one)."""
    section = f"{BEGIN}\n_Written by `bench/run` from `{source}`._\n\n{text}{END}"
    try:
        with open(path) as f:
            current = f.read()
    except FileNotFoundError:
        current = "# correo benchmarks\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: section, current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n## Latest full run\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(updated)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("run_dir")
    p.add_argument("--json", required=True)
    p.add_argument("--markdown", required=True)
    p.add_argument("--benchmarks", help="BENCHMARKS.md whose generated section this run rewrites")
    p.add_argument("--source", default="bench/results", help="the results file named in BENCHMARKS.md")
    args = p.parse_args()
    d = args.run_dir
    meta = load_json(os.path.join(d, "meta.json")) or {}
    smtp = load_json(os.path.join(d, "smtp.json"))
    imap = load_json(os.path.join(d, "imap.json"))
    idle = load_lines(os.path.join(d, "idle.jsonl"))
    merge = load_lines(os.path.join(d, "merge.jsonl"))

    rows = []  # (workload, metric, better, reference name, reference stats, correo stats)
    notes = list(meta.get("notes", []))

    if smtp:
        notes += smtp.get("notes", []) + smtp.get("failures", [])
        raw = smtp["raw"]
        for cfg in raw.get("postfix", {}):
            count, size, conns = cfg.split("x")
            label = f"SMTP ingest {count} × {int(size) // 1000} KB, {conns} conn"
            for metric, key, better in (("msgs/s (until all in Maildir/new)", "msgs_per_s", "higher"),
                                        ("p50 latency to 250, ms", "p50_ms", "lower"),
                                        ("p99 latency to 250, ms", "p99_ms", "lower"),
                                        ("server CPU s", "server_cpu_s", "lower"),
                                        ("server peak PSS, MiB", "server_peak_pss_kb", "lower"),
                                        ("server peak RSS, MiB", "server_peak_rss_kb", "lower")):
                scale = 1 / 1024 if key.endswith("_kb") else 1
                ref = stats([x[key] * scale for x in raw["postfix"][cfg] if x.get(key) is not None])
                cor = stats([x[key] * scale for x in raw.get("correo", {}).get(cfg, []) if x.get(key) is not None])
                rows.append((label, metric, better, "Postfix", ref, cor))

    if imap:
        notes += imap.get("notes", [])
        srv = imap["servers"]
        for w in ("login_select", "header_sync", "bodystructure_envelope", "bodies_500", "search_subject",
                  "search_body", "store_flags"):
            if w not in srv.get("dovecot", {}):
                continue
            for state in ("cold", "second", "restart", "warm"):
                def st(name):
                    x = srv.get(name, {}).get(w, {}).get(state)
                    return {"median": x["median_s"], "min": x["min_s"], "max": x["max_s"], "n": len(x["runs"])} if x else None
                rows.append((f"IMAP {imap['messages']:,} msgs: {w}", f"{state}, s", "lower", "Dovecot", st("dovecot"),
                             st("correo")))
        for name, r in srv.items():
            if r.get("checks"):
                notes.append(f"IMAP {name} check failures: {r['checks'][:5]}")
        notes.append(f"IMAP page cache dropped: {any(r.get('caches_dropped') for r in srv.values())}")

    if idle:
        by = {}
        for x in idle:
            if "skipped" in x:
                notes.append(x["skipped"])
                continue
            by.setdefault((x["server"], x["clients"]), []).append(x)
            if x.get("failures") or x.get("notified") != x.get("clients"):
                notes.append(f"IDLE {x['server']} {x['clients']}: {x.get('failures')} failures, "
                             f"{x.get('notified')} notified {x.get('first_failures')}")
        for n in sorted({k[1] for k in by}):
            for metric, key, better, scale in (("server PSS, MiB", "server_pss_kb", "lower", 1 / 1024),
                                               ("server RSS, MiB", "server_rss_kb", "lower", 1 / 1024),
                                               ("delivery to last EXISTS, s", "delivery_last_s", "lower", 1),
                                               ("all logged in + IDLE, s", "setup_s", "lower", 1)):
                ref = stats([x[key] * scale for x in by.get(("dovecot", n), []) if x.get(key) is not None])
                cor = stats([x[key] * scale for x in by.get(("correo", n), []) if x.get(key) is not None])
                rows.append((f"IDLE {n:,} clients", metric, better, "Dovecot", ref, cor))

    if merge:
        by = {}
        for x in merge:
            if "skipped" in x:
                notes.append(x["skipped"])
                continue
            if x.get("client") == "sink_capacity":
                notes.append(f"merge: the {x.get('sink', 'aiosmtpd')} sink alone takes {x.get('msgs_per_s')} msgs/s of 1 KB "
                             f"(plain, pipelined, {x.get('connections')} connection(s), smtp_ingest.py)")
                continue
            by.setdefault((x["client"], x["variant"]), []).append(x)
            if not x.get("ok"):
                notes.append(f"merge {x['client']} {x['variant']} run {x['run']}: exit {x['exit']}, sink got "
                             f"{x['sink_messages']} of {x['rows']}")
        for v in ("plain", "starttls_auth", "attachment"):
            if ("mailmerge", v) not in by and ("correo", v) not in by:
                continue
            rows_n = (by.get(("mailmerge", v)) or by.get(("correo", v)))[0]["rows"]
            ref = stats([x["msgs_per_s"] for x in by.get(("mailmerge", v), []) if x.get("ok")])
            cor = stats([x["msgs_per_s"] for x in by.get(("correo", v), []) if x.get("ok")])
            sink_name = (by.get(("mailmerge", v)) or by.get(("correo", v)))[0].get("sink", "aiosmtpd")
            rows.append((f"Mail merge {rows_n:,} rows, {v} ({sink_name} sink)", "msgs/s", "higher", "mailmerge 2.3.0",
                         ref, cor))
            sink = stats([x["sink_cpu_s"] / x["elapsed_s"] for x in by.get(("correo", v), []) if x.get("sink_cpu_s")])
            if sink:
                notes.append(f"merge {v}: the sink used {sink['median']:.2f} CPU-s per s during correo send "
                             "(near 1.0 means the sink, not the client, was the limit)")

    doc = {"meta": meta, "notes": notes, "table": [
        {"workload": w, "metric": m, "better": b, "reference": rn, "reference_stats": r, "correo_stats": c,
         "ratio_correo_over_reference": (c["median"] / r["median"]) if c and r and r["median"] else None}
        for (w, m, b, rn, r, c) in rows], "smtp": smtp, "imap": imap, "idle": idle, "merge": merge}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)

    out = []
    out.append(f"Run {meta.get('date', '?')} on {meta.get('machine', '?')}; mode {meta.get('mode', '?')}; "
               f"runs per figure: {meta.get('runs', '?')} (IMAP: {meta.get('imap_runs', meta.get('runs', '?'))}); load average at start {meta.get('load_start', '?')}, "
               f"at end {meta.get('load_end', '?')}; took {meta.get('duration_s', '?')} s.")
    out.append("")
    out.append("Figures are medians (min–max) of the runs. Ratio = correo / reference from this run; "
               "for a figure where lower is better, a ratio below 1 means correo is ahead.")
    out.append("")
    out.append("| workload | metric | better | reference | reference figure | correo | ratio correo/ref |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for (w, m, b, rn, r, c) in rows:
        out.append(f"| {w} | {m} | {b} | {rn} | {fmt(r)} | {fmt(c)} | {ratio(c, r)} |")
    if notes:
        out.append("")
        out.append("Notes:")
        for n in notes:
            out.append(f"- {n}")
    text = "\n".join(out) + "\n"
    with open(args.markdown, "w") as f:
        f.write(text)
    if args.benchmarks:
        rewrite_benchmarks(args.benchmarks, text, args.source)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
