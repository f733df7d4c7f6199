#!/usr/bin/env bash
# Syncs per message: correo smtpd under `strace -f -c` while bench/smtp_ingest.py sends COUNT messages of
# SIZE bytes over CONNECTIONS connections to 16 users on an empty store. Prints strace's table of the
# sync, rename, open and write calls, and the ingest's JSON line.
#
#   [WORK_DIR=DIR] bench/smtp_syncs.sh BINARY [COUNT 2000] [SIZE 2000] [CONNECTIONS 16] [PORT 21999]
#
# The counts include the one-time creation of the 16 Maildirs (about 7 fsyncs each). The store is made
# under WORK_DIR (default /tmp): on a journaled ext4 (bench/scratch_ext4.sh) correo delivers in journal
# order, one fsync per message, elsewhere in the portable order, two.
set -euo pipefail
binary=$(realpath "${1:?usage: smtp_syncs.sh BINARY [COUNT] [SIZE] [CONNECTIONS] [PORT]}")
count=${2:-2000} size=${3:-2000} connections=${4:-16} port=${5:-21999}
here=$(cd "$(dirname "$0")" && pwd)
command -v strace >/dev/null || { echo "smtp_syncs.sh: strace is not installed (apt-get install strace)" >&2; exit 2; }
work=$(mktemp -d "${WORK_DIR:-/tmp}/correo-syncs.XXXXXX")
# strace blocks the signals meant for its command, so they go to correo itself (strace's child).
stop() { pkill "-$1" -P "$server" 2>/dev/null || true; }
trap 'stop KILL; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/store"
for i in $(seq 0 15); do echo "u$i@bench.test:secret$i"; done > "$work/store/passwords.txt"
strace -f -qq -c -o "$work/strace.txt" \
    -e trace=fsync,fdatasync,sync_file_range,syncfs,rename,renameat,renameat2,link,linkat,openat,write,writev,pwrite64 \
    "$binary" smtpd -d bench.test -s "$work/store" -p "$port" --submission-port 0 --smtps-port 0 \
    --bind 127.0.0.1 > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
python3 "$here/smtp_ingest.py" --host 127.0.0.1 --port "$port" --maildir "$work/store" --count "$count" \
    --size "$size" --connections "$connections" --timeout 300
stop INT
# strace writes its table when correo has exited.
for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
cat "$work/strace.txt"
