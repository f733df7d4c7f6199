#!/usr/bin/env bash
# The real-client suite (clients.sh) against correo in PostgreSQL mode: users, mailboxes and mail
# in a database, not in Maildirs. Everything in a scratch folder, on free loopback ports; every
# server started here is stopped here.
#
#   interop/imap-clients/run-postgres.sh CORREO_BINARY
#
# 1. a private PostgreSQL (../common/postgres.py: initdb -A trust, 127.0.0.1, a free port)
# 2. the client corpus (corpus.py, as run-all.sh writes it) copied into the database with
#    `correo db migrate` and `correo migrate --from maildir:… --to postgres://…`, then exported
#    back and compared with the corpus, flags included (the migrate round trip)
# 3. node A, `correo serve --store URL` with only IMAP (and IMAPS with CORREO_TLS=1) listening,
#    and node B, a second node on the same database
# 4. clients.sh against node A. There is no server Maildir to compare with: clients.sh gets
#    `--truth-command export-truth.sh`, which exports the database into a fresh storage folder
#    (`correo migrate --from URL --to maildir:DIR`) whenever a client's result is checked. The
#    IMAP IDLE test's delivery, a file dropped into new/ in Maildir mode, is an APPEND to node B:
#    node A must learn of it through the database, as it learns of a dropped file from the disk.
#
# Prints one line per suite and `imap-interop-postgres: N passed, M failed`; exit 1 on any failure.
# Environment: CLIENT_CORPUS_COUNT (40), SEED (7), CORREO_TLS=1 (also the clients over IMAPS),
# KEEP_RUN_DIR=1 (keep the scratch folder: the nodes' and PostgreSQL's logs, the exports; the
# database server is stopped all the same), CORREO_LOG_LEVEL (info; `debug` logs every IMAP exchange).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMON=$(cd "$HERE/../common" && pwd)
CORREO=${1:-}
[ -n "$CORREO" ] && [ -x "$CORREO" ] || { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
CORREO=$(cd "$(dirname "$CORREO")" && pwd)/$(basename "$CORREO")
USER_ADDR="alice@example.org"
USER_PASS="secret"
CCOUNT=${CLIENT_CORPUS_COUNT:-40}
SEED=${SEED:-7}
LOG_LEVEL=${CORREO_LOG_LEVEL:-info}

T0=$(date +%s)
W=$(mktemp -d /tmp/imap-run-postgres.XXXXXX)
chmod 755 "$W"  # PostgreSQL runs as `postgres` (when we are root) and must reach $W/pg
PG_DIR="$W/pg"
NODE_PIDS=() NODE_NAMES=()

# stop_pid PID: SIGTERM (correo shuts down gracefully), SIGKILL after 15 s.
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
cleanup() {
    local p
    for p in "${NODE_PIDS[@]}"; do stop_pid "$p"; done
    [ -d "$PG_DIR" ] && python3 "$COMMON/postgres.py" stop --workdir "$PG_DIR" --keep >/dev/null 2>&1
    if [ -n "${KEEP_RUN_DIR:-}" ]; then echo "run-postgres: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT   # (through the EXIT trap: nothing is left running)
trap 'exit 143' TERM

# A copy of the binary is what runs: a rebuild of CORREO during the run (an engineer's `swift build`)
# would otherwise fail the exports with "Text file busy", or mix two builds in one run.
cp "$CORREO" "$W/correo" || { echo "run-postgres: cannot copy $CORREO"; exit 1; }
echo "run-postgres: testing $CORREO (modified $(date -r "$CORREO" '+%F %T'), a copy in $W)"
CORREO="$W/correo"

stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
free_port() { python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import netutil; print(netutil.free_port())' "$COMMON"; }

TOTAL_P=0 TOTAL_F=0
declare -a LINES=()
tally() { # NAME LOGFILE: adds the file's last `N passed, M failed` line to the totals
    local line p f
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed$' "$2" | tail -1)
    p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
    [ -n "$line" ] || { p=0; f=1; line="no summary line (crashed?)"; }
    TOTAL_P=$((TOTAL_P + p)); TOTAL_F=$((TOTAL_F + f))
    LINES+=("$(printf '%-44s %s' "$1" "$line")")
}
summary() {
    echo "==================== IMAP interop summary (PostgreSQL mode) ===================="
    [ ${#LINES[@]} -gt 0 ] && printf '%s\n' "${LINES[@]}"
    echo "imap-interop-postgres: $TOTAL_P passed, $TOTAL_F failed"
}
# die WHAT [LOG]: a step the rest depends on failed; say so (with the log's end) and stop.
die() {
    echo "FAIL $1"
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 40 "$2" | sed 's/^/    | /'
    LINES+=("$(printf '%-44s %s' "$1" "FAILED")")
    TOTAL_F=$((TOTAL_F + 1))
    summary
    exit 1
}

bash "$COMMON/install-deps.sh" | tail -1
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    source "$COMMON/apt-install.sh"  # no service is started (policy-rc.d); the system cluster is not used
    apt_install "run-postgres" postgresql | tail -1
fi

stamp "postgresql: a private server"
PG_OUT=$(python3 "$COMMON/postgres.py" start --workdir "$PG_DIR" 2>"$W/postgres-start.log") \
    || die "postgresql did not start" "$W/postgres-start.log"
URL=${PG_OUT%% *}
echo "run-postgres: store $URL"

stamp "corpus: $CCOUNT messages, seed $SEED, copied into the database"
python3 "$HERE/corpus.py" "$W/corpus" --user "$USER_ADDR" --password "$USER_PASS" --count "$CCOUNT" --seed "$SEED"
"$CORREO" db migrate --store "$URL" >"$W/db-migrate.log" 2>&1 || die "correo db migrate" "$W/db-migrate.log"
"$CORREO" migrate --from "maildir:$W/corpus" --to "$URL" >"$W/migrate.log" 2>&1 \
    || die "correo migrate (maildir -> postgres)" "$W/migrate.log"
sed 's/^/    /' "$W/migrate.log"

# The truth command clients.sh runs (with a fresh empty folder as $1) whenever it checks a result.
# Exporting the live database is fine here: the clients are idle while it runs.
{
    echo '#!/usr/bin/env bash'
    echo '# Written by run-postgres.sh: exports the store into the (empty) storage folder $1.'
    printf 'exec %q migrate --from %q --to "maildir:$1"\n' "$CORREO" "$URL"
} >"$W/export-truth.sh"
chmod +x "$W/export-truth.sh"

# The harness's own premise: what the clients are compared with (an export) is what was imported.
stamp "migrate round trip: corpus -> postgres -> Maildir, flags included"
mkdir "$W/roundtrip"
{ "$W/export-truth.sh" "$W/roundtrip" && python3 "$HERE/verify.py" mirror "$W/corpus/$USER_ADDR" "$W/roundtrip/$USER_ADDR"; } \
    >"$W/roundtrip.log" 2>&1
rc=$?
grep '^verify:' "$W/roundtrip.log"
if [ $rc -eq 0 ]; then echo "roundtrip: 1 passed, 0 failed" >>"$W/roundtrip.log"
else tail -n 20 "$W/roundtrip.log"; echo "roundtrip: 0 passed, 1 failed" >>"$W/roundtrip.log"; fi
tally "migrate round trip" "$W/roundtrip.log"

# start_node NAME IMAP_PORT IMAPS_PORT: `correo serve` on the store, IMAP only, loopback only; returns
# when every asked port accepts connections (30 s at most), or fails with the node's log.
start_node() {
    local name=$1 imap=$2 imaps=$3 log="$W/node-$1.log" pid i p ports
    mkdir -p "$W/node-$name"  # spool, queue and keys only: the mail is in PostgreSQL
    "$CORREO" serve -s "$W/node-$name" --store "$URL" --domain example.org --bind 127.0.0.1 \
        --imap-port "$imap" --imaps-port "$imaps" --smtp-port 0 --submission-port 0 --smtps-port 0 \
        --nntp-port 0 --nntps-port 0 --https-port 0 --http-port 0 --allow-plaintext-auth \
        --log-level "$LOG_LEVEL" >"$log" 2>&1 &
    pid=$!
    NODE_PIDS+=("$pid") NODE_NAMES+=("$name")
    ports=("$imap")
    [ "$imaps" != 0 ] && ports+=("$imaps")
    for p in "${ports[@]}"; do
        for i in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || die "correo serve (node $name) exited before listening" "$log"
            # by this process: another server on the port would answer while this one fails to bind
            grep -q "pid=$pid," <<<"$(ss -ltnpH "sport = :$p" 2>/dev/null)" && continue 2
            sleep 0.2
        done
        die "correo serve (node $name) did not listen on 127.0.0.1:$p in 30 s" "$log"
    done
}

P_A=$(free_port); P_B=$(free_port); PS_A=0 PS_B=0
[ -n "${CORREO_TLS:-}" ] && { PS_A=$(free_port); PS_B=$(free_port); }
stamp "correo serve: node A (imap $P_A, imaps $PS_A) and node B (imap $P_B, imaps $PS_B) on $URL"
start_node A "$P_A" "$PS_A"
start_node B "$P_B" "$PS_B"

run_clients() { # NAME PORT DELIVER_PORT [--tls]
    local name=$1 port=$2 deliver=$3
    shift 3
    stamp "clients: $name"
    bash "$HERE/clients.sh" 127.0.0.1 "$port" "$USER_ADDR" "$USER_PASS" --truth-command "$W/export-truth.sh" \
        --deliver-port "$deliver" "$@" | tee "$W/clients-$name.log"
    tally "clients ($name)" "$W/clients-$name.log"
}
run_clients "correo-postgres-imap" "$P_A" "$P_B"
# the TLS run works on the same database (the clients add to it; each check exports it afresh)
[ "$PS_A" != 0 ] && run_clients "correo-postgres-imaps" "$PS_A" "$PS_B" --tls

# A node that died during the run (a crash after the last check) is a failure too.
for i in "${!NODE_PIDS[@]}"; do
    name=${NODE_NAMES[$i]}
    if kill -0 "${NODE_PIDS[$i]}" 2>/dev/null; then echo "node $name: 1 passed, 0 failed" >"$W/alive-$name.sum"
    else echo "FAIL node $name is no longer running:"; tail -n 20 "$W/node-$name.log" | sed 's/^/    | /'
        echo "node $name: 0 passed, 1 failed" >"$W/alive-$name.sum"; fi
    tally "node $name still running at the end" "$W/alive-$name.sum"
done

stamp "done"
summary
[ "$TOTAL_F" -eq 0 ]
