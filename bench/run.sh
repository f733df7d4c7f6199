#!/usr/bin/env bash
# Runs every benchmark workload against its reference (Postfix, Dovecot, mailmerge 2.3.0) and, when
# CORREO=path/to/correo is set (or --correo PATH), against correo on the same data in the same run.
#
#   bench/run.sh [--quick | --smoke] [--only smtp,imap,idle,merge] [--runs N] [--correo PATH] [--no-install]
#                [--merge-sink fast|aiosmtpd] [--smtp-work DIR]
#
#   (default)  the full sizes of issue 6, every figure a median of 3 runs (IMAP: 5, its cold and restart
#              rows move by 20 % from run to run, Dovecot's as much as correo's)
#   --quick    smaller sizes, 1 run: minutes, for a first look
#   --smoke    tiny sizes, 1 run: seconds per workload, checks that the scripts still work (CI)
#   --smtp-work DIR  run the SMTP ingest (both servers' queues and Maildirs) in DIR, e.g. a journaled
#              ext4 made by bench/scratch_ext4.sh, instead of bench/work/
#
# Writes bench/results/DATE.json and DATE.md (the Markdown table, also printed); a full run of every
# workload with correo also rewrites the generated section of BENCHMARKS.md. Keeps the raw output
# of each workload in bench/work/run-DATE/. Everything runs in bench/work/ on 127.0.0.1 high ports
# (21410–21480); the servers are started and stopped here and no system service is touched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode=full only="smtp,imap,idle,merge" runs="" install=1 correo="${CORREO:-}" merge_sink=fast smtp_work=""
while (($#)); do
    case "$1" in
    --quick) mode=quick; shift ;;
    --smoke) mode=smoke; shift ;;
    --only) only="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --correo) correo="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    --merge-sink) merge_sink="$2"; shift 2 ;;
    --smtp-work) smtp_work="$2"; shift 2 ;;
    -h | --help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
runs_given="$runs"
case "$mode" in
full)
    : "${runs:=3}"
    imap_runs="${runs_given:-5}"
    smtp_configs="2000x2000x1,2000x2000x16,200x200000x1,200x200000x16"
    imap_count=20000 idle_clients=1000 idle_correo_clients="1000 10000 30000" idle_deliveries=3
    merge_rows=10000 attach_rows=2000 ;;
quick)
    : "${runs:=1}"
    imap_runs="$runs"
    smtp_configs="500x2000x1,500x2000x16,50x200000x1,50x200000x16"
    imap_count=5000 idle_clients=300 idle_correo_clients="300" idle_deliveries=1 merge_rows=1000 attach_rows=200 ;;
smoke)
    : "${runs:=1}"
    imap_runs="$runs"
    smtp_configs="20x2000x1,20x2000x4,4x200000x1,4x200000x4"
    imap_count=200 idle_clients=10 idle_correo_clients="10" idle_deliveries=1 merge_rows=20 attach_rows=20 ;;
esac
if [[ -n "$correo" ]]; then
    correo="$(cd "$(dirname "$correo")" && pwd)/$(basename "$correo")"
    [[ -x "$correo" ]] || { echo "run.sh: $correo is not an executable" >&2; exit 2; }
fi

if ((install)); then
    bash "$here/install.sh" >/dev/null
fi
py="$here/.venv/bin/python"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
work="$here/work"
run_dir="$work/run-$stamp"
# A smoke pass checks the scripts, it measures nothing worth keeping: its report stays in bench/work/.
results="$here/results"
[[ "$mode" == smoke ]] && results="$run_dir"
mkdir -p "$run_dir" "$results"
started="$(date +%s)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
has() { [[ ",$only," == *",$1,"* ]]; }
log() { echo "[$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)] $*" >&2; }
status=0

if has smtp; then
    log "SMTP ingest: $smtp_configs, $runs run(s), in ${smtp_work:-$work}"
    "$py" "$here/smtp_bench.py" --runs "$runs" --configs "$smtp_configs" --work "${smtp_work:-$work}" \
        ${correo:+--correo "$correo"} --out "$run_dir/smtp.json" >/dev/null || status=1
fi

if has imap; then
    log "IMAP: $imap_count messages, $imap_runs run(s)"
    "$py" "$here/imap_bench.py" --count "$imap_count" --runs "$imap_runs" --work "$work" \
        ${correo:+--correo "$correo"} --out "$run_dir/imap.json" >/dev/null || status=1
fi

if has idle; then
    correo_idle=0
    if [[ -n "$correo" ]]; then
        mkdir -p "$work/probe"
        if "$py" "$here/servers.py" probe "$correo" imapd -s "$work/probe" -p 21459 --imaps-port 0 \
            --allow-plaintext-auth --bind 127.0.0.1; then
            correo_idle=1
        else
            echo '{"workload": "idle", "skipped": "correo imapd: not yet available, IDLE skipped"}' >>"$run_dir/idle.jsonl"
        fi
    fi
    for ((r = 1; r <= runs; r++)); do
        log "IDLE: $idle_clients clients on Dovecot, run $r"
        "$py" "$here/idle_bench.py" --server dovecot --clients "$idle_clients" --work "$work" \
            --deliveries "$idle_deliveries" >>"$run_dir/idle.jsonl" || status=1
        if ((correo_idle)); then
            for n in $idle_correo_clients; do
                log "IDLE: $n clients on correo, run $r"
                # 30,000 come from 127.0.0.2-4 (idle_bench.py --clients-per-address), and need an open-file
                # hard limit above 30,100; where it is lower, the run is skipped with a note.
                "$py" "$here/idle_bench.py" --server correo --correo "$correo" --clients "$n" --work "$work" \
                    --deliveries "$idle_deliveries" >>"$run_dir/idle.jsonl" || status=1
            done
        fi
    done
fi

if has merge; then
    log "mail merge: $merge_rows rows ($attach_rows with the attachment), $runs run(s)"
    CORREO="$correo" bash "$here/merge_bench.sh" --sink "$merge_sink" --rows "$merge_rows" \
        --attachment-rows "$attach_rows" \
        --runs "$runs" --work "$work" \
        --out "$run_dir/merge.jsonl" >/dev/null || status=1
fi

"$py" - "$run_dir/meta.json" "$mode" "$runs" "$stamp" "$started" "$load_start" "$correo" "$imap_runs" <<'PY'
import json, os, platform, subprocess, sys, time
path, mode, runs, stamp, started, load_start, correo, imap_runs = sys.argv[1:]
def cmd(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
meta = {"date": stamp, "mode": mode, "runs": int(runs), "imap_runs": int(imap_runs), "duration_s": int(time.time() - float(started)),
        "machine": f"{os.cpu_count()} × {cpu}, {int(mem) // 1024 // 1024} GiB, {platform.platform()}",
        "load_start": load_start, "load_end": " ".join(open("/proc/loadavg").read().split()[:3]),
        "postfix": cmd("postconf", "-d", "-h", "mail_version"), "dovecot": cmd("dovecot", "--version"),
        "correo": correo or None,
        "notes": [] if correo else ["CORREO not given: reference figures only"]}
json.dump(meta, open(path, "w"), indent=1)
PY
benchmarks=()
if [[ "$mode" == full && "$only" == "smtp,imap,idle,merge" && -n "$correo" ]]; then
    benchmarks=(--benchmarks "$(dirname "$here")/BENCHMARKS.md" --source "bench/results/$stamp.md")
fi
"$py" "$here/report.py" "$run_dir" --json "$results/$stamp.json" --markdown "$results/$stamp.md" \
    "${benchmarks[@]}"
log "done in $(($(date +%s) - started)) s: ${results#"$(dirname "$here")/"}/$stamp.json and .md"
exit "$status"
