#!/usr/bin/env bash
# slrn in tmux reads an article from `correo serve`, then posts: the group list shows the group with 1
# unread article, SPACE enters it (the thread list shows the Subject and the line count), SPACE again
# opens the article (its body is on screen); f posts a follow-up to it (slrn sets References), and p in
# the group list posts a new article. Both are then checked over NNTP (reader-common.sh's check_posts).
#
#   interop/nntp/slrn.sh CORREO_BINARY
#
# The article is fed with IHAVE (reader-common.sh; correo runs with --nntp-peer 127.0.0.1). slrn runs with its own
# HOME (.slrnrc, newsrc) in a scratch folder, on plain NNTP (Debian's slrn has no TLS build). Every wait
# is bounded; slrn logs in with AUTHINFO (nnrpaccess) to post, and its editor is a script that appends a
# line (reader-common.sh's reader_editor); the tmux session, correo and the scratch folder are removed at the end. Exit 0 when every
# screen held what it should, 1 otherwise (with the screen printed).
set -euo pipefail
binary=$(realpath "${1:?usage: slrn.sh CORREO_BINARY}")
command -v slrn >/dev/null && command -v tmux >/dev/null || { echo "slrn.sh: slrn and tmux are needed" >&2; exit 2; }
. "$(dirname "$0")/reader-common.sh"
reader_start slrn "$binary" test.slrn 1
reader_session="correo-slrn-$$"

reader_editor
printf 'set hostname "example.test"\nset username "alice"\nset realname "Alice"\n' > "$work/home/.slrnrc"
printf 'nnrpaccess "127.0.0.1" "%s" "%s"\n' "$poster" "$poster_password" >> "$work/home/.slrnrc"
printf 'set editor_command "%s '"'"'%%s'"'"'"\n' "$work/home/editor.sh" >> "$work/home/.slrnrc"
tmux new-session -d -s "$reader_session" -x 120 -y 40 \
    "env HOME=$work/home TERM=xterm slrn --nntp -h 127.0.0.1 -p $port --create -f $work/home/.jnewsrc 2>$work/slrn.err; sleep 60"

wait_for "test.slrn" "the group list shows test.slrn"
tmux capture-pane -p -t "$reader_session" | grep -E 'U +1 +test\.slrn' >/dev/null && echo "ok: 1 unread article" \
    || { echo "FAILED: not 1 unread"; tmux capture-pane -p -t "$reader_session" | grep -v '^~*$'; exit 1; }
tmux send-keys -t "$reader_session" " "
wait_for "Article 1" "the thread list shows the Subject"
# the body's 2 lines: slrn takes the count from OVER only when LIST OVERVIEW.FMT names it "Lines:"
wait_for "2:[Alice" "the thread list shows the line count (2)"
tmux send-keys -t "$reader_session" " "
wait_for "$marker" "the article's body is on the screen"
wait_for "From: Alice <alice@example.test>" "its From header too"
tmux send-keys -t "$reader_session" "f"
wait_for "want to followup?" "f asks to follow up"
tmux send-keys -t "$reader_session" "y"
wait_for "Post the message?" "the follow-up is written (the editor ran)"
tmux send-keys -t "$reader_session" "y"
wait_for "Posting...done." "slrn posted the follow-up"
tmux send-keys -t "$reader_session" "q"
wait_for "test.slrn" "back in the group list"
tmux send-keys -t "$reader_session" "p"
wait_for "want to post?" "p asks to post"
tmux send-keys -t "$reader_session" "y"
wait_for "Newsgroup: test.slrn" "the post goes to the current group"
tmux send-keys -t "$reader_session" Enter
wait_for "Subject:" "slrn asks for the Subject"
tmux send-keys -t "$reader_session" "New from slrn $marker" Enter
wait_for "Post the message?" "the new article is written"
tmux send-keys -t "$reader_session" "y"
check_posts slrn test.slrn
tmux send-keys -t "$reader_session" "q"
sleep 0.5
tmux send-keys -t "$reader_session" "y"
echo "slrn.sh: slrn read an article from correo and posted a new article and a follow-up"
