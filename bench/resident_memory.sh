#!/bin/bash
# Resident memory of `correo smtpd`, `correo imapd` and `correo serve`, and how much of it is the binary's
# code: what the function order of the release link (Sources/correo/hot-code.order) changes.
#
#     bench/resident_memory.sh CORREO_BINARY [WORK_DIR]
#
# Root only: the page cache is dropped before each server starts, so the code is read from disk as after
# a reboot (a file just written is mapped in larger blocks: BENCHMARKS.md, seventeenth stop). Prints, from
# /proc/PID/smaps: smtpd idle and after 2,000 messages of 2 KB on one connection (delivered directly),
# imapd after scripts/hot_code_workload.py's IMAP session on the 200 messages of four mailboxes, and
# `serve` on its embedded defaults 3 s after its second start (the first one makes its certificate).
# Compare two links by running it once per binary, one after the other.
set -euo pipefail
BIN=$(realpath "${1:?correo binary}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE/work/resident-memory}
PORT=21497
rm -rf "$WORK"
mkdir -p "$WORK/storage" "$WORK/serve"
for i in $(seq 0 3); do echo "u$i@bench.test:benchpass" >> "$WORK/storage/passwords.txt"; done
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null || true' EXIT

start() {  # port command...: starts correo after dropping the page cache; waits for the port
  local port=$1
  shift
  sync
  echo 3 > /proc/sys/vm/drop_caches
  "$BIN" "$@" > "$WORK/log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "correo $1 did not listen on $port" >&2; cat "$WORK/log" >&2; exit 1
}
stop() { kill $PID; wait $PID 2>/dev/null || true; PID=; }
memory() {
  awk -v bin="$BIN" '/^[0-9a-f]+-[0-9a-f]+ / { code = ($2 ~ /x/ && $6 == bin) }
    code && /^Rss:/ { c += $2 } END { printf "code %.1f  ", c / 1024 }' /proc/$PID/smaps
  awk '/^(Rss|Pss|Anonymous):/ { printf "%s %.1f  ", $1, $2 / 1024 }' /proc/$PID/smaps_rollup
  echo "MiB"
}

start $PORT smtpd -d bench.test -s "$WORK/storage" -p $PORT --submission-port 0 --smtps-port 0 \
  --bind 127.0.0.1 --local-delivery direct
sleep 1
echo "smtpd idle:            $(memory)"
python3 "$HERE/smtp_ingest.py" --host 127.0.0.1 --port $PORT --maildir "$WORK/storage" --users 4 \
  --count 2000 --size 2000 --connections 1 > "$WORK/ingest.json"
echo "smtpd after 2,000:     $(memory)"
stop
start $PORT imapd -s "$WORK/storage" -p $PORT --imaps-port 0 --allow-plaintext-auth --bind 127.0.0.1
python3 "$HERE/../scripts/hot_code_workload.py" imap --port $PORT
echo "imapd after a session: $(memory)"
stop
cd "$WORK/serve"
start 2525 serve
stop
start 2525 serve
sleep 3
echo "serve idle:            $(memory)"
stop
