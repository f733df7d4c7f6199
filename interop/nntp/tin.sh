#!/usr/bin/env bash
# tin in tmux reads an article from `correo serve`: the group selection page shows the subscribed group
# with its 3 articles, RETURN enters it (the index shows each Subject with its line count), RETURN again
# opens article 1 (its body and From on screen), then q back out to the shell.
#
#   interop/nntp/tin.sh CORREO_BINARY
#
# Articles are fed with IHAVE (reader-common.sh). tin runs with its own HOME (.newsrc subscribing the
# group) on plain NNTP (`tin -r`, NNTPSERVER=127.0.0.1, -p PORT; -q -d skip new-group checks and
# descriptions). Every wait is bounded; tmux, correo and the scratch folder are removed at the end.
# Exit 0 when every screen held what it should, 1 otherwise (with the screen printed).
set -euo pipefail
binary=$(realpath "${1:?usage: tin.sh CORREO_BINARY}")
command -v tin >/dev/null && command -v tmux >/dev/null || { echo "tin.sh: tin and tmux are needed" >&2; exit 2; }
. "$(dirname "$0")/reader-common.sh"
reader_start tin "$binary" test.tin 3
reader_session="correo-tin-$$"

mkdir -p "$work/home"
printf 'test.tin: \n' > "$work/home/.newsrc"
tmux new-session -d -s "$reader_session" -x 120 -y 40 \
    "env HOME=$work/home TERM=xterm NNTPSERVER=127.0.0.1 tin -r -p $port -q -d 2>$work/tin.err; echo TIN-EXITED; sleep 60"

# The first start shows tin's welcome page.
wait_for "Press <RETURN> to continue" "tin's first-start page"
tmux send-keys -t "$reader_session" Enter
wait_for "test.tin" "the group selection page shows test.tin"
tmux capture-pane -p -t "$reader_session" | grep -E '^ +1 +3 +test\.tin' >/dev/null && echo "ok: 3 unread articles" \
    || { echo "FAILED: not 3 unread"; tmux capture-pane -p -t "$reader_session" | grep -v '^ *$'; exit 1; }
tmux send-keys -t "$reader_session" Enter
wait_for "Article 3" "the index shows the Subjects"
tmux capture-pane -p -t "$reader_session" | grep -E '^ +1 +[o+] +2 +Article 1 +Alice' >/dev/null \
    && echo "ok: the index shows article 1 with 2 lines, from Alice" \
    || { echo "FAILED: article 1's index line"; tmux capture-pane -p -t "$reader_session" | grep -v '^ *$'; exit 1; }
tmux send-keys -t "$reader_session" Enter
wait_for "$marker" "article 1's body is on the screen"
wait_for "Alice" "its author too"
tmux send-keys -t "$reader_session" "q"
wait_for "Article 2" "back on the index"
tmux send-keys -t "$reader_session" "q"
wait_for "Group Selection" "back on the group selection page"
tmux capture-pane -p -t "$reader_session" | grep -E '^ +1 +2 +test\.tin' >/dev/null && echo "ok: 2 unread now" \
    || { echo "FAILED: not 2 unread after reading one"; tmux capture-pane -p -t "$reader_session" | grep -v '^ *$'; exit 1; }
tmux send-keys -t "$reader_session" "q"
# tin asks whether to save its configuration (tinrc) on the way out: yes.
for _ in $(seq 1 25); do
    screen=$(tmux capture-pane -p -t "$reader_session")
    if grep -qF TIN-EXITED <<<"$screen"; then break; fi
    if grep -qF "(Y/n)" <<<"$screen"; then tmux send-keys -t "$reader_session" "y"; fi
    sleep 0.2
done
wait_for "TIN-EXITED" "tin quit"
echo "tin.sh: tin read the article from correo"
