#!/bin/bash
# Instructions `correo smtpd` runs in user space per 2 KB message, counted by callgrind: a figure that,
# unlike CPU time on this shared machine, is the same from one run to the next, so that two builds can
# be compared with a few messages.
#
#     bench/smtp_instructions.sh CORREO_BINARY [WORK_DIR] [COUNT]
#
# Starts the server under callgrind on WORK_DIR/storage (default bench/work/instructions), sends 200
# messages to warm it up, zeroes the counts, sends COUNT more (default 1,000) over 4 connections,
# dumps the counts and prints instructions per message, then the functions that ran the most of them
# (inclusive), so that a change can be traced to where it saved. The kernel's work (TCP, the file
# system) is not counted: bench/smtp_context_switches.sh measures the whole CPU time.
set -euo pipefail
BIN=${1:?correo binary}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE/work/instructions}
COUNT=${3:-1000}
PORT=21498
rm -rf "$WORK"
mkdir -p "$WORK/storage"
for i in $(seq 0 3); do echo "u$i@bench.test:benchpass" >> "$WORK/storage/passwords.txt"; done
# valgrind cannot read the DWARF 5 the toolchain writes; the symbol table is all it needs.
objcopy --strip-debug "$BIN" "$WORK/correo"
valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$WORK/callgrind.out" "$WORK/correo" smtpd \
    -d bench.test -s "$WORK/storage" -p $PORT --submission-port 0 --smtps-port 0 --bind 127.0.0.1 \
    --local-delivery direct > "$WORK/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
ingest() {
    python3 "$HERE/smtp_ingest.py" --host 127.0.0.1 --port $PORT --maildir "$WORK/storage" --users 4 \
        --count "$1" --size 2000 --connections 4 > /dev/null
}
ingest 200
callgrind_control -z $PID > /dev/null 2>&1
ingest "$COUNT"
callgrind_control -d $PID > /dev/null 2>&1
sleep 1
DUMP=$(ls -t "$WORK"/callgrind.out.* | head -1)
callgrind_annotate --inclusive=yes "$DUMP" > "$WORK/inclusive.txt" 2> /dev/null
TOTAL=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' "$WORK/inclusive.txt")
awk -v t="$TOTAL" -v n="$COUNT" 'BEGIN { printf "user-space instructions per message: %.0f (%d messages)\n", t / n, n }'
grep -E '^ *[0-9,]+ \(' "$WORK/inclusive.txt" | grep -v "PROGRAM TOTALS" | sed -n '1,400p' \
    | grep -E 'SMTP|MailStore|LogHandler|Logger|GroupCommit|MessageStream|IncomingMessage' | head -25 \
    | { if command -v swift > /dev/null; then swift demangle --simplified; else cat; fi } | cut -c1-150
