#!/bin/bash
# Resident memory of `correo smtpd`, idle and after 2,000 messages of 2 KB on one connection.
#
#     bench/smtp_memory.sh CORREO_BINARY [WORK_DIR] [--drop-caches]
#
# Prints RSS, PSS and anonymous MiB (/proc/PID/smaps_rollup) a second after start and after the
# messages, and the peak (VmHWM). With --drop-caches (root) it first drops the page cache, so that the
# binary's code is read from disk as after a reboot: a freshly built or copied binary is mapped in
# larger blocks and shows 2-3 MiB more (BENCHMARKS.md, seventeenth stop). Compare two links by running
# it once per binary, one after the other.
set -euo pipefail
BIN=${1:?correo binary}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE/work/smtp-memory}
DROP=${3:-}
PORT=21498
rm -rf "$WORK"
mkdir -p "$WORK/storage"
for i in $(seq 0 15); do echo "u$i@bench.test:benchpass" >> "$WORK/storage/passwords.txt"; done
if [[ "$DROP" == --drop-caches ]]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
"$BIN" smtpd -d bench.test -s "$WORK/storage" -p $PORT --submission-port 0 --smtps-port 0 --bind 127.0.0.1 \
    > "$WORK/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
sleep 1
memory() { awk '/^(Rss|Pss|Anonymous):/ { printf "%s %.1f  ", $1, $2 / 1024 }' /proc/$PID/smaps_rollup; }
echo "idle:  $(memory)"
python3 "$HERE/smtp_ingest.py" --host 127.0.0.1 --port $PORT --maildir "$WORK/storage" --count 2000 \
    --size 2000 --connections 1 > "$WORK/ingest.json"
echo "after: $(memory) peak $(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$PID/status) MiB"
