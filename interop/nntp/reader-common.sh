# Sourced by the newsreader scripts (slrn.sh, tin.sh, suck.sh): a scratch folder, a private `correo serve`
# with one group on a free port, and articles fed into it with IHAVE (nntplib; correo runs with
# --nntp-peer 127.0.0.1). The user $poster (password $poster_password) may post; Debian's slrn has no TLS,
# so the server runs with --allow-plaintext-auth (on 127.0.0.1 only).
#
#   reader_start NAME CORREO_BINARY GROUP COUNT   → sets $work, $port, $marker; articles 1…COUNT in GROUP,
#                                                   article 1's body holds $marker, every Subject "Article K"
#   wait_for TEXT WHAT                            → polls the tmux session $reader_session's screen (at most
#                                                   15 s) until TEXT is on it; else prints it and exits 1
#   press_until KEY TEXT WHAT                     → sends KEY until TEXT is on the screen (5 tries, 3 s each): tin
#                                                   drops the keys typed while it shows a message
#   reader_editor                                 → writes $work/home/editor.sh, the "editor" a reader runs
#                                                   on a post: it appends "Written in NAME: $marker" to it
#   check_posts NAME GROUP                        → over NNTP (nntplib): GROUP holds the reader's new article
#                                                   "New from NAME $marker" (no References) and its follow-up
#                                                   "Re: Article 1", threaded under article 1 in OVER
# Everything started here is stopped, and the scratch folder removed, when the script exits.
reader_start() {
    local name=$1 binary=$2 group=$3 count=$4
    work=$(mktemp -d "/tmp/nntp-$name-XXXXXX")
    port=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import netutil; print(netutil.free_port())' \
        "$(cd "$(dirname "${BASH_SOURCE[0]}")/../common" && pwd)")
    marker="marker-$RANDOM$RANDOM"
    reader_pid=""
    trap reader_cleanup EXIT
    reader_name=$name
    poster="alice@example.test"
    poster_password="alice-$RANDOM$RANDOM"
    "$binary" group add "$group" --description "$name reads correo" -s "$work/storage" >/dev/null
    "$binary" user add "$poster" -s "$work/storage" --password-stdin <<<"$poster_password" >/dev/null
    "$binary" serve -s "$work/storage" --bind 127.0.0.1 --smtp-port 0 --submission-port 0 --smtps-port 0 \
        --imap-port 0 --imaps-port 0 --nntp-port "$port" --nntps-port 0 --nntp-peer 127.0.0.1 \
        --allow-plaintext-auth >"$work/serve.log" 2>&1 &
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

press_until() {
    for _ in 1 2 3 4 5; do
        tmux send-keys -t "$reader_session" "$1"
        for _ in $(seq 1 15); do
            if tmux capture-pane -p -t "$reader_session" | grep -qF -- "$2"; then echo "ok: $3"; return 0; fi
            sleep 0.2
        done
    done
    wait_for "$2" "$3"
}

reader_editor() {
    mkdir -p "$work/home"
    # The file is the last argument (tin passes "+LINE FILE"); the sleep gives it a new mtime, or tin
    # warns that the article is unchanged.
    printf '#!/bin/sh\nfor file; do :; done\nsleep 1\nprintf "\\nWritten in %s: %s\\n" >> "$file"\n' \
        "$reader_name" "$marker" > "$work/home/editor.sh"
    chmod +x "$work/home/editor.sh"
}

check_posts() {
    python3 - "$port" "$marker" "$1" "$2" <<'PY' || { tail -20 "$work/serve.log"; exit 1; }
import sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib
port, marker, name, group = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
original = f"<{marker}.1@example.test>"
new_subject, follow_subject = f"New from {name} {marker}", "Re: Article 1"
# The reader said it posted; the articles are stored before the 240, so a few tries are plenty.
for _ in range(50):
    s = nntplib.NNTP("127.0.0.1", port, readermode=True, timeout=10)
    _, count, first, last, _ = s.group(group)
    _, over = s.over((first, last))
    by_subject = {fields["subject"]: (number, fields) for number, fields in over}
    if new_subject in by_subject and follow_subject in by_subject:
        break
    s.quit()
    time.sleep(0.2)
else:
    sys.exit(f"FAILED: {name}'s posts are not in {group}: " + repr(sorted(by_subject)))
failures = []
number, new = by_subject[new_subject]
if new["references"].strip():
    failures.append(f"the new article has References {new['references']!r}")
follow_number, follow = by_subject[follow_subject]
if follow["references"].split()[-1:] != [original]:
    failures.append(f"the follow-up's References {follow['references']!r} do not end with {original}")
for n, what in ((number, "new article"), (follow_number, "follow-up")):
    _, info = s.article(n)
    text = b"\n".join(info.lines).decode()
    if f"Written in {name}: {marker}" not in text:
        failures.append(f"the {what} lacks the text the editor wrote")
    if "!.POSTED" not in text or 'posting-account="alice@example.test"' not in text:
        failures.append(f"the {what} lacks the injection fields (Path .POSTED, Injection-Info)")
s.quit()
if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print(f"ok: {name} posted article {number} and follow-up {follow_number}, References {original}")
PY
}
