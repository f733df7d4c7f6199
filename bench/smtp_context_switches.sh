#!/bin/bash
# Context switches, CPU and syscalls per message of `correo smtpd` (2 KB messages over 16 connections).
#
#     bench/smtp_context_switches.sh CORREO_BINARY [WORK_DIR] [--strace]
#
# Starts the server on WORK_DIR/storage (default bench/work/context-switches; a scratch ext4 such as
# bench/scratch_ext4.sh's keeps fsyncs comparable), sends 2,000 messages to warm it up, then 4,000 more
# while it sums voluntary context switches over all its threads (/proc/PID/task/*/status). With
# --strace it also counts its system calls (strace -c -f), which slows everything: read those counts
# per message, not the speed.
set -euo pipefail
BIN=${1:?correo binary}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE/work/context-switches}
STRACE=${3:-}
PORT=21499
rm -rf "$WORK"
mkdir -p "$WORK/storage"
for i in $(seq 0 15); do echo "u$i@bench.test:benchpass" >> "$WORK/storage/passwords.txt"; done
"$BIN" smtpd -d bench.test -s "$WORK/storage" -p $PORT --submission-port 0 --smtps-port 0 --bind 127.0.0.1 \
    --local-delivery direct > "$WORK/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
ingest() {
    python3 "$HERE/smtp_ingest.py" --host 127.0.0.1 --port $PORT --maildir "$WORK/storage" --count "$1" \
        --size 2000 --connections 16 --pid $PID
}
switches() { cat /proc/$PID/task/*/status | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s }'; }
ingest 2000 > /dev/null
if [ "$STRACE" = --strace ]; then
    strace -c -f -p $PID -o "$WORK/strace.txt" & ST=$!
    sleep 1
fi
BEFORE=$(switches)
ingest 4000 | python3 -c 'import json, sys; d = json.load(sys.stdin)
print("msgs/s %s  server CPU per message %.3f ms" % (d["msgs_per_s"], d["server_cpu_s"] / 4))'
AFTER=$(switches)
awk -v a="$AFTER" -v b="$BEFORE" 'BEGIN { printf "voluntary context switches per message: %.2f\n", (a - b) / 4000 }'
if [ -n "${ST:-}" ]; then
    kill -INT $ST
    wait $ST || true
    awk 'NR > 2 && $NF != "total" && NF >= 5 { printf "%-16s %.2f per message\n", $NF, $(NF-1-(NF==6)) / 4000 }' \
        "$WORK/strace.txt" | head -20
fi
