#!/usr/bin/env bash
# The whole IMAP interop run: corpus -> Dovecot (reference) and correo on copies ->
# differential + real clients. Everything in a scratch folder, on free loopback ports;
# every server started here is stopped here.
#
#   interop/imap-clients/run-all.sh [CORREO_BINARY]
#
# With a correo binary whose `imapd` works:
#   differential: correo against Dovecot on the same 240-message corpus
#   clients:      every client against correo (plain), and against Dovecot (plain + TLS)
# Without one (no argument, binary missing, or its imapd says it is not available):
#   DOVECOT-ONLY mode, said loudly: the differential runs Dovecot against a second
#   Dovecot (it validates the harness), the clients run against Dovecot.
#
# Environment: CORPUS_COUNT (240), CLIENT_CORPUS_COUNT (40), SEED (7),
# KEEP_RUN_DIR=1 keeps the scratch folder, REQUIRE_CORREO=1 fails instead of falling back to
# Dovecot-only mode, CORREO_TLS=1 also starts correo with an
# IMAPS port (its own generated certificate) and runs the clients over TLS against it.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMON=$(cd "$HERE/../common" && pwd)
CORREO=${1:-}
USER_ADDR="alice@example.org"
USER_PASS="secret"
COUNT=${CORPUS_COUNT:-240}
CCOUNT=${CLIENT_CORPUS_COUNT:-40}
SEED=${SEED:-7}

T0=$(date +%s)
W=$(mktemp -d /tmp/imap-run-all.XXXXXX)
chmod 755 "$W"  # Dovecot serves root-owned copies as 'nobody', who must reach them
PIDS=()
DOVECOT_DIRS=()
cleanup() {
    for d in "${DOVECOT_DIRS[@]}"; do python3 "$COMMON/dovecot.py" stop --workdir "$d" >/dev/null 2>&1; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    if [ -n "${KEEP_RUN_DIR:-}" ]; then echo "run-all: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
free_port() { python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import netutil; print(netutil.free_port())' "$COMMON"; }

bash "$COMMON/install-deps.sh" | tail -1

stamp "corpus: $COUNT messages (differential), $CCOUNT (clients), seed $SEED"
python3 "$HERE/corpus.py" "$W/corpus" --user "$USER_ADDR" --password "$USER_PASS" --count "$COUNT" --seed "$SEED"
python3 "$HERE/corpus.py" "$W/ccorpus" --user "$USER_ADDR" --password "$USER_PASS" --count "$CCOUNT" --seed "$SEED"
for c in ref dut; do cp -a "$W/corpus" "$W/diff-$c"; cp -a "$W/ccorpus" "$W/clients-$c"; done

start_dovecot() { # STORAGE PORT IMAPS_PORT NAME
    local wd="$W/dovecot-$4"
    DOVECOT_DIRS+=("$wd")
    python3 "$COMMON/dovecot.py" start -s "$1" -p "$2" --imaps-port "$3" --workdir "$wd" >/dev/null \
        || { echo "run-all: dovecot ($4) failed to start"; exit 1; }
}

# correo: start it, or decide it is not there yet.
MODE="dovecot-only"
WHY="no correo binary given"
start_correo() { # STORAGE PORT IMAPS_PORT NAME -> sets CORREO_OK
    local log="$W/correo-$4.log" pid i
    "$CORREO" imapd -s "$1" -p "$2" --imaps-port "$3" --allow-plaintext-auth >"$log" 2>&1 &
    pid=$!
    for i in $(seq 1 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            local rc=$?
            if grep -qi "not yet available\|not available" "$log"; then
                WHY="'$CORREO imapd' says: $(grep -i -m1 'available' "$log")"
                return 2
            fi
            echo "run-all: correo imapd exited (status $rc) before listening:"; sed 's/^/    /' "$log"
            return 1
        fi
        # Listening, and by this process: another server already on the port would answer a
        # connection while this correo fails to bind and exits.
        if grep -q "pid=$pid," <<<"$(ss -ltnpH "sport = :$2" 2>/dev/null)"; then
            PIDS+=("$pid")
            return 0
        fi
        sleep 0.2
    done
    echo "run-all: correo imapd did not listen on 127.0.0.1:$2 in 30 s"; kill "$pid"; return 1
}

P_REF=$(free_port); P_DUT=$(free_port); P_CREF=$(free_port); P_CREFS=$(free_port); P_CDUT=$(free_port)
P_CDUTS=0
[ -n "${CORREO_TLS:-}" ] && P_CDUTS=$(free_port)
start_dovecot "$W/diff-ref" "$P_REF" 0 diff-ref
start_dovecot "$W/clients-ref" "$P_CREF" "$P_CREFS" clients-ref

if [ -n "$CORREO" ]; then
    if [ ! -x "$CORREO" ]; then
        WHY="$CORREO is not an executable file"
    else
        start_correo "$W/diff-dut" "$P_DUT" 0 diff
        rc=$?
        if [ $rc -eq 0 ]; then
            start_correo "$W/clients-dut" "$P_CDUT" "$P_CDUTS" clients || exit 1
            MODE="correo"
        elif [ $rc -eq 1 ]; then
            echo "FAIL correo imapd did not start"; echo "0 passed, 1 failed"; exit 1
        fi
    fi
fi

if [ "$MODE" = dovecot-only ] && [ -n "${REQUIRE_CORREO:-}" ]; then
    # CI sets REQUIRE_CORREO: a correo that cannot be tested must fail the run, not pass as Dovecot-only.
    echo "FAIL correo was required (REQUIRE_CORREO) but not tested: $WHY"; echo "0 passed, 1 failed"; exit 1
fi
if [ "$MODE" = dovecot-only ]; then
    echo "################################################################################"
    echo "# DOVECOT-ONLY MODE: $WHY"
    echo "# The differential compares Dovecot with a second Dovecot (validates the harness);"
    echo "# the clients run against Dovecot. Nothing here tests correo."
    echo "################################################################################"
    start_dovecot "$W/diff-dut" "$P_DUT" 0 diff-dut
    DUT_NAME="dovecot (second instance)"
else
    echo "run-all: testing correo ($CORREO) against Dovecot $(dovecot --version | cut -d' ' -f1)"
    DUT_NAME="correo"
fi

TOTAL_P=0 TOTAL_F=0
declare -a LINES=()
tally() { # NAME LOGFILE
    local line p f
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed$' "$2" | tail -1)
    p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
    [ -n "$line" ] || { p=0; f=1; line="no summary line (crashed?)"; }
    TOTAL_P=$((TOTAL_P + p)); TOTAL_F=$((TOTAL_F + f))
    LINES+=("$(printf '%-44s %s' "$1" "$line")")
}

stamp "differential: $DUT_NAME vs dovecot on $COUNT messages"
python3 "$HERE/differential.py" 127.0.0.1 "$P_DUT" "$USER_ADDR" "$USER_PASS" --reference-port "$P_REF" \
    | tee "$W/differential.log" | grep -v '^    ' | tail -n 25
tally "differential ($DUT_NAME vs dovecot)" "$W/differential.log"

if [ "$MODE" = dovecot-only ]; then
    # Negative control: the differential must notice one changed flag in one copy.
    stamp "differential negative control: one flag changed in the second copy"
    f=$(ls "$W/diff-dut/$USER_ADDR/cur" | sed -n 5p)
    base=${f%%:2,*}
    mv "$W/diff-dut/$USER_ADDR/cur/$f" "$W/diff-dut/$USER_ADDR/cur/$base:2,FS"
    [ "$f" = "$base:2,FS" ] && mv "$W/diff-dut/$USER_ADDR/cur/$base:2,FS" "$W/diff-dut/$USER_ADDR/cur/$base:2,"
    python3 "$HERE/differential.py" 127.0.0.1 "$P_DUT" "$USER_ADDR" "$USER_PASS" --reference-port "$P_REF" \
        --mailbox INBOX --quiet >"$W/negative.log" 2>&1
    neg_rc=$?
    if [ $neg_rc -ne 0 ] && grep -q '^FAIL \[INBOX\] .* FLAGS' "$W/negative.log"; then
        echo "negative control: differential caught it ($(grep -E 'failures by kind' "$W/negative.log"))"
        printf 'negative control: 1 passed, 0 failed\n' >"$W/negative.sum"
    else
        echo "negative control: the differential did NOT notice a changed flag"; tail -5 "$W/negative.log"
        printf 'negative control: 0 passed, 1 failed\n' >"$W/negative.sum"
    fi
    tally "differential negative control" "$W/negative.sum"
fi

run_clients() { # NAME PORT MAILDIR [--tls]
    local name=$1 port=$2 md=$3
    shift 3
    stamp "clients: $name"
    bash "$HERE/clients.sh" 127.0.0.1 "$port" "$USER_ADDR" "$USER_PASS" --maildir "$md" "$@" \
        | tee "$W/clients-$name.log"
    tally "clients ($name)" "$W/clients-$name.log"
}
run_clients "dovecot-imap" "$P_CREF" "$W/clients-ref/$USER_ADDR"
# the TLS run works on the same copy (the clients add to it; verify reads it afresh)
run_clients "dovecot-imaps" "$P_CREFS" "$W/clients-ref/$USER_ADDR" --tls
if [ "$MODE" = correo ]; then
    run_clients "correo-imap" "$P_CDUT" "$W/clients-dut/$USER_ADDR"
    [ "$P_CDUTS" != 0 ] && run_clients "correo-imaps" "$P_CDUTS" "$W/clients-dut/$USER_ADDR" --tls
fi

stamp "done"
echo "==================== IMAP interop summary (mode: $MODE) ===================="
printf '%s\n' "${LINES[@]}"
[ "$MODE" = dovecot-only ] && echo "NOTE: dovecot-only mode ($WHY): correo was not tested."
echo "imap-interop: $TOTAL_P passed, $TOTAL_F failed"
[ "$TOTAL_F" -eq 0 ]
