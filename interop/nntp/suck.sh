#!/usr/bin/env bash
# suck pulls a whole group from `correo serve` into a directory, one file per article (multifile mode),
# and the count matches; a second run, with the sucknewsrc suck updated, pulls nothing more.
#
#   interop/nntp/suck.sh CORREO_BINARY [COUNT]
#
# Articles are fed with IHAVE (reader-common.sh). suck runs with its own data, temp and message folders
# under a scratch folder and a 20 s network timeout, each run bounded to 120 s. Exit 0 when the files
# match the group, 1 otherwise.
set -euo pipefail
binary=$(realpath "${1:?usage: suck.sh CORREO_BINARY [COUNT]}")
count=${2:-40}
command -v suck >/dev/null || { echo "suck.sh: suck is needed (apt install suck)" >&2; exit 2; }
. "$(dirname "$0")/reader-common.sh"
reader_start suck "$binary" test.suck "$count"

mkdir -p "$work/data" "$work/msgs" "$work/tmp"
# A new group: a negative number fetches the newest N articles (suck(1), SUCKNEWSRC), here all of them.
echo "test.suck -100000" > "$work/data/sucknewsrc"
# run_suck EXPECTED_STATUS: suck's exit codes (suck(1)): 0 articles fetched, 1 none to fetch, 2 an
# unexpected answer from the server, 4 authorization failed.
run_suck() {
    local status=0
    (cd "$work" && timeout 120 suck "127.0.0.1:$port" -dd "$work/data" -dm "$work/msgs" -dt "$work/tmp" \
        -m -c -q -T 20 >>"$work/suck.out" 2>&1) || status=$?
    if [ "$status" -ne "$1" ]; then
        echo "FAILED: suck exited $status, expected $1"; cat "$work/suck.out"; tail -20 "$work/serve.log"; exit 1
    fi
}
run_suck 0
got=$(find "$work/msgs" -type f | wc -l)
if [ "$got" -ne "$count" ]; then
    echo "FAILED: suck wrote $got files, the group has $count articles"; ls -la "$work/msgs"; cat "$work/suck.out"; exit 1
fi
echo "ok: suck pulled $got articles into $got files"
grep -lq -- "$marker" "$work"/msgs/* && echo "ok: article 1's body is among them" \
    || { echo "FAILED: no file holds article 1's body"; exit 1; }
[ "$(grep -l '^Subject: Article ' "$work"/msgs/* | wc -l)" -eq "$count" ] && echo "ok: every file is a whole article" \
    || { echo "FAILED: a file without its Subject"; exit 1; }
grep -q "^test.suck $count\$" "$work/data/sucknewsrc" && echo "ok: sucknewsrc says $count read" \
    || { echo "FAILED: sucknewsrc: $(cat "$work/data/sucknewsrc")"; exit 1; }
rm -f "$work"/msgs/*
run_suck 1
again=$(find "$work/msgs" -type f | wc -l)
[ "$again" -eq 0 ] && echo "ok: a second run pulls nothing new" || { echo "FAILED: second run pulled $again"; exit 1; }
echo "suck.sh: suck pulled test.suck from correo"
