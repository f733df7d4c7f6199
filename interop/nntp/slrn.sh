#!/usr/bin/env bash
# slrn in tmux reads an article from `correo serve`: the group list shows the group with 1 unread article,
# SPACE enters it (the thread list shows the Subject and the line count), SPACE again opens the article
# (its body is on screen).
#
#   interop/nntp/slrn.sh CORREO_BINARY
#
# The article is fed with IHAVE (nntplib; correo runs with --nntp-peer 127.0.0.1). slrn runs with its own
# HOME (.slrnrc, newsrc) in a scratch folder, on plain NNTP (Debian's slrn has no TLS build). Every wait
# is bounded; the tmux session, correo and the scratch folder are removed at the end. Exit 0 when every
# screen held what it should, 1 otherwise (with the screen printed).
set -euo pipefail
binary=$(realpath "${1:?usage: slrn.sh CORREO_BINARY}")
command -v slrn >/dev/null && command -v tmux >/dev/null || { echo "slrn.sh: slrn and tmux are needed" >&2; exit 2; }
work=$(mktemp -d /tmp/nntp-slrn-XXXXXX)
session="correo-slrn-$$"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
marker="marker-$RANDOM$RANDOM"
pid=""
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$binary" group add test.slrn --description "slrn reads correo" -s "$work/storage" >/dev/null
"$binary" serve -s "$work/storage" --bind 127.0.0.1 --smtp-port 0 --submission-port 0 --smtps-port 0 \
    --imap-port 0 --imaps-port 0 --nntp-port "$port" --nntps-port 0 --nntp-peer 127.0.0.1 \
    >"$work/serve.log" 2>&1 &
pid=$!
python3 - "$port" "$marker" <<'PY'
import email.utils, socket, sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib
port, marker = int(sys.argv[1]), sys.argv[2]
for _ in range(300):
    try:
        s = nntplib.NNTP("127.0.0.1", port, readermode=False, timeout=10)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("correo did not answer")
mid = f"<{marker}@example.test>"
lines = ["Path: origin.example.test!not-for-mail", "From: Alice <alice@example.test>", "Newsgroups: test.slrn",
         "Subject: Hello from correo", f"Message-ID: {mid}", "Date: " + email.utils.formatdate(usegmt=True), "",
         f"The body of the slrn test: {marker}.", "Second line."]
print("slrn.sh: fed", s.ihave(mid, [x.encode() for x in lines]))
s.quit()
PY

mkdir -p "$work/home"
printf 'set hostname "example.test"\nset username "alice"\nset realname "Alice"\n' > "$work/home/.slrnrc"
tmux new-session -d -s "$session" -x 120 -y 40 \
    "env HOME=$work/home TERM=xterm slrn --nntp -h 127.0.0.1 -p $port --create -f $work/home/.jnewsrc 2>$work/slrn.err; sleep 60"

# wait_for TEXT: polls the screen (at most 15 s) until TEXT is on it
wait_for() {
    for _ in $(seq 1 75); do
        if tmux capture-pane -p -t "$session" | grep -qF -- "$1"; then echo "ok: $2"; return 0; fi
        sleep 0.2
    done
    echo "FAILED: $2 (no '$1' on the screen)"; tmux capture-pane -p -t "$session" | grep -v '^~*$'
    cat "$work/slrn.err" "$work/serve.log" 2>/dev/null | tail -20
    exit 1
}
wait_for "test.slrn" "the group list shows test.slrn"
tmux capture-pane -p -t "$session" | grep -E 'U +1 +test\.slrn' >/dev/null && echo "ok: 1 unread article" \
    || { echo "FAILED: not 1 unread"; tmux capture-pane -p -t "$session" | grep -v '^~*$'; exit 1; }
tmux send-keys -t "$session" " "
wait_for "Hello from correo" "the thread list shows the Subject"
# the body's 2 lines: slrn takes the count from OVER only when LIST OVERVIEW.FMT names it "Lines:"
wait_for "2:[Alice" "the thread list shows the line count (2)"
tmux send-keys -t "$session" " "
wait_for "$marker" "the article's body is on the screen"
wait_for "From: Alice <alice@example.test>" "its From header too"
tmux send-keys -t "$session" "q"
wait_for "test.slrn" "back in the group list"
tmux send-keys -t "$session" "q"
sleep 0.5
tmux send-keys -t "$session" "y"
echo "slrn.sh: slrn read the article from correo"
