# Sourced by the newsreader scripts (tin.sh, suck.sh): a scratch folder, a private `correo serve` with one
# group on a free port, and articles fed into it with IHAVE (nntplib; correo runs with --nntp-peer 127.0.0.1).
#
#   reader_start NAME CORREO_BINARY GROUP COUNT   → sets $work, $port, $marker; articles 1…COUNT in GROUP,
#                                                   article 1's body holds $marker, every Subject "Article K"
#   wait_for TEXT WHAT                            → polls the tmux session $reader_session's screen (at most
#                                                   15 s) until TEXT is on it; else prints it and exits 1
# Everything started here is stopped, and the scratch folder removed, when the script exits.
reader_start() {
    local name=$1 binary=$2 group=$3 count=$4
    work=$(mktemp -d "/tmp/nntp-$name-XXXXXX")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    marker="marker-$RANDOM$RANDOM"
    reader_pid=""
    trap reader_cleanup EXIT
    "$binary" group add "$group" --description "$name reads correo" -s "$work/storage" >/dev/null
    "$binary" serve -s "$work/storage" --bind 127.0.0.1 --smtp-port 0 --submission-port 0 --smtps-port 0 \
        --imap-port 0 --imaps-port 0 --nntp-port "$port" --nntps-port 0 --nntp-peer 127.0.0.1 \
        >"$work/serve.log" 2>&1 &
    reader_pid=$!
    python3 - "$port" "$marker" "$group" "$count" <<'PY'
import email.utils, sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib
port, marker, group, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
for _ in range(300):
    try:
        s = nntplib.NNTP("127.0.0.1", port, readermode=False, timeout=10)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("correo did not answer")
for k in range(1, count + 1):
    mid = f"<{marker}.{k}@example.test>"
    lines = ["Path: origin.example.test!not-for-mail", "From: Alice <alice@example.test>", f"Newsgroups: {group}",
             f"Subject: Article {k}", f"Message-ID: {mid}", "Date: " + email.utils.formatdate(usegmt=True), "",
             f"The body of article {k}: {marker if k == 1 else 'plain'}.", "Second line."]
    s.ihave(mid, [x.encode() for x in lines])
print(f"fed {count} articles into {group}")
s.quit()
PY
}

reader_cleanup() {
    [ -n "${reader_session:-}" ] && tmux kill-session -t "$reader_session" 2>/dev/null
    [ -n "${reader_pid:-}" ] && kill "$reader_pid" 2>/dev/null && wait "$reader_pid" 2>/dev/null
    rm -rf "${work:?}"
}

wait_for() {
    for _ in $(seq 1 75); do
        if tmux capture-pane -p -t "$reader_session" | grep -qF -- "$1"; then echo "ok: $2"; return 0; fi
        sleep 0.2
    done
    echo "FAILED: $2 (no '$1' on the screen)"; tmux capture-pane -p -t "$reader_session" | grep -v '^ *$'
    cat "$work"/*.err "$work/serve.log" 2>/dev/null | tail -20
    exit 1
}
