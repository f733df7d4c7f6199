#!/usr/bin/env bash
# tin in tmux reads an article from `correo serve`, then posts: the group selection page shows the
# subscribed group with its 3 articles, RETURN enters it (the index shows each Subject with its line
# count), RETURN again opens article 1 (its body and From on screen), q back to the group selection page
# (2 unread now). There w posts a new article; back in the group, article 1 found with / gets a follow-up
# (f; tin sets References). Both are checked over NNTP (reader-common.sh's check_posts); then q out.
#
#   interop/nntp/tin.sh CORREO_BINARY
#
# Articles are fed with IHAVE (reader-common.sh). tin runs with its own HOME (.newsrc subscribing the
# group) on plain NNTP (`tin -r`, NNTPSERVER=127.0.0.1, -p PORT; -q -d skip new-group checks and
# descriptions). tin logs in with AUTHINFO from ~/.newsauth to post; its tinrc gives the From address, and
# its editor is a script that appends a line (reader-common.sh's reader_editor). Every wait is bounded; tmux, correo and the scratch folder are removed at the end.
# Exit 0 when every screen held what it should, 1 otherwise (with the screen printed).
set -euo pipefail
binary=$(realpath "${1:?usage: tin.sh CORREO_BINARY}")
command -v tin >/dev/null && command -v tmux >/dev/null || { echo "tin.sh: tin and tmux are needed" >&2; exit 2; }
. "$(dirname "$0")/reader-common.sh"
reader_start tin "$binary" test.tin 3
reader_session="correo-tin-$$"

reader_editor
printf 'test.tin: \n' > "$work/home/.newsrc"
printf '127.0.0.1 %s %s\n' "$poster_password" "$poster" > "$work/home/.newsauth"
chmod 600 "$work/home/.newsauth"
# A tinrc of our own (tin would otherwise post as root@HOST, which it refuses); with it tin skips its
# first-start welcome page.
mkdir -p "$work/home/.tin"
printf 'mail_address=Alice <alice@example.test>\n' > "$work/home/.tin/tinrc"
tmux new-session -d -s "$reader_session" -x 120 -y 40 \
    "env HOME=$work/home TERM=xterm EDITOR=$work/home/editor.sh VISUAL=$work/home/editor.sh NNTPSERVER=127.0.0.1 \
    tin -r -p $port -q -d 2>$work/tin.err; echo TIN-EXITED; sleep 60"

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
tmux send-keys -t "$reader_session" "f"
wait_for "p=post" "the follow-up is written (the editor ran)"
tmux send-keys -t "$reader_session" "p"
wait_for "Article posted" "tin posted the follow-up"
press_until "q" "Article 2" "back on the index"
tmux send-keys -t "$reader_session" "q"
wait_for "Group Selection" "back on the group selection page"
tmux capture-pane -p -t "$reader_session" | grep -E '^ +1 +2 +test\.tin' >/dev/null && echo "ok: 2 unread now" \
    || { echo "FAILED: not 2 unread after reading one"; tmux capture-pane -p -t "$reader_session" | grep -v '^ *$'; exit 1; }
tmux send-keys -t "$reader_session" "w"
wait_for "Post subject" "w asks for the Subject"
tmux send-keys -t "$reader_session" "New from tin $marker" Enter
wait_for "p=post" "the new article is written"
tmux send-keys -t "$reader_session" "p"
wait_for "Article posted" "tin posted the new article"
check_posts tin test.tin
press_until "q" "(Y/n)" "q asks to quit"
# tin asks whether to save its configuration (tinrc) on the way out: yes.
for _ in $(seq 1 25); do
    screen=$(tmux capture-pane -p -t "$reader_session")
    if grep -qF TIN-EXITED <<<"$screen"; then break; fi
    if grep -qF "(Y/n)" <<<"$screen"; then tmux send-keys -t "$reader_session" "y"; fi
    sleep 0.2
done
wait_for "TIN-EXITED" "tin quit"
echo "tin.sh: tin read an article from correo and posted a new article and a follow-up"
