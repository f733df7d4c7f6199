#!/usr/bin/env bash
# Regenerates Sources/correo/hot-code.order, the function order the release link follows (Package.swift's
# releaseLinking passes it to lld as --symbol-ordering-file).
#
#     scripts/hot-code-order.sh [BUILD_DIR]        # default .build/release, after `swift build -c release`
#
# Why: the kernel maps a binary's code into memory in blocks of 64 KiB or more around each function that
# runs, so the code a server runs, scattered over 32 MB of text, kept ~20 MiB of it resident; placed
# together, ~12 MiB (BENCHMARKS.md, eighteenth stop). The profile is callgrind's list of the
# functions that ran while `correo serve`, `correo smtpd` and `correo imapd` each did a day's work in
# small (scripts/hot_code_workload.py, bench/smtp_ingest.py). A stale file is harmless: names no longer
# in the binary are skipped, new code is placed after the listed code, as without the file.
# Needs valgrind, readelf and python3; takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:-$here/../.build/release}")
out=$here/../Sources/correo/hot-code.order
static=$(dirname "$(realpath "$(command -v swiftc)")")/../lib/swift_static/linux
scratch=$(mktemp -d)
[ -z "${KEEP_PROFILES:-}" ] || echo "the profiles stay in $scratch"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP_PROFILES:-}" ] || rm -rf "$scratch"' EXIT

# valgrind cannot read the DWARF 5 the toolchain writes; the symbol table is all it needs.
objcopy --strip-debug "$build/correo" "$scratch/correo"
storage=$scratch/storage
mkdir -p "$storage"
for i in 0 1 2 3; do echo "u$i@bench.test:benchpass" >> "$storage/passwords.txt"; done

# profile NAME PORT ARGS...: starts correo under callgrind and waits (90 s at most) for PORT.
profile() {
  local name=$1 port=$2
  shift 2
  valgrind --tool=callgrind --demangle=no --fair-sched=yes --callgrind-out-file="$scratch/$name.out" \
    "$scratch/correo" "$@" > "$scratch/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 900); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "correo $name did not listen on $port" >&2; cat "$scratch/$name.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
workload() { python3 "$here/hot_code_workload.py" "$@"; }

profile serve 21525 serve -s "$storage" -d bench.test --bind 127.0.0.1 --allow-plaintext-auth \
  --smtp-port 21525 --submission-port 21587 --smtps-port 21465 --imap-port 21143 --imaps-port 21993 \
  --nntp-port 21119 --nntps-port 21563 --http-port 21580
for port in 21143 21993 21119 21580; do
  for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done
workload smtp --port 21525 --count 20
workload imap --port 21143
workload imap --port 21993 --tls
workload nntp --port 21119
curl -fsS http://127.0.0.1:21580/metrics > /dev/null
stop

# The benchmarks' servers: smtpd delivering directly, imapd on what it delivered.
profile smtpd 21526 smtpd -d bench.test -s "$storage" -p 21526 --submission-port 0 --smtps-port 0 \
  --bind 127.0.0.1 --local-delivery direct
python3 "$here/../bench/smtp_ingest.py" --host 127.0.0.1 --port 21526 --maildir "$storage" --users 4 \
  --count 200 --size 2000 --connections 4 > /dev/null
python3 "$here/../bench/smtp_ingest.py" --host 127.0.0.1 --port 21526 --maildir "$storage" --users 4 \
  --count 20 --size 200000 --connections 1 > /dev/null
stop
profile imapd 21144 imapd -s "$storage" -p 21144 --imaps-port 0 --allow-plaintext-auth --bind 127.0.0.1
workload imap --port 21144
stop

python3 "$here/hot_code_order.py" "$out" "$build/correo.product/Objects.LinkFileList" "$static" \
  "$scratch"/{smtpd,serve,imapd}.out
