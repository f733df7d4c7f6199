#!/usr/bin/env bash
# Real IMAP clients against a server, each checked against the server's Maildir.
#
#   clients.sh HOST PORT USER PASS (--maildir USER_MAILDIR | --truth-command CMD [--deliver-port P])
#              [--tls] [--only NAME,...]
#
#   --maildir  the user's Maildir in the server's storage (STORAGE/USER@DOMAIN): the truth
#              the clients' results are compared with, and where the IDLE test drops a
#              delivery. Use a scratch copy: the clients change flags and add messages.
#   --truth-command CMD  for a server whose mail is not in a Maildir (correo on PostgreSQL):
#              before each client and before each check after a change, `CMD DIR` runs
#              (DIR appended, a fresh empty folder) and must export the server's current
#              state as a storage folder; DIR/USER is then the truth. The IDLE delivery is
#              an APPEND from a second connection instead of a file: to --deliver-port P
#              (same host and TLS) when given, e.g. a second node on the same store.
#   --tls      PORT speaks implicit TLS (IMAPS); the server's certificate is fetched and
#              trusted for this run only (curl --insecure, mbsync CertificateFile,
#              offlineimap cert_fingerprint, fetchmail no sslcertck, mutt certificate_file).
#   --only     run only these clients (imaplib,thunderbird,curl,mbsync,offlineimap,fetchmail,mutt)
#
# Every external client runs under `timeout` (curl --max-time), so a server that hangs
# fails the client instead of hanging the run.
# Prints PASS/FAIL per client (with the client's output on failure), then
# `N passed, M failed`; exits 1 on any failure. Everything runs in a temporary folder
# that is removed at the end (KEEP_CLIENT_FILES=1 keeps it); mutt runs in a private tmux server that is killed after.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 4 ] || usage
HOST=$1 PORT=$2 IUSER=$3 IPASS=$4
shift 4
TLS=0 MAILDIR="" ONLY="" TRUTH_CMD="" DELIVER_PORT=0
while [ $# -gt 0 ]; do
    case "$1" in
        --tls) TLS=1 ;;
        --maildir) MAILDIR=$2; shift ;;
        --truth-command) TRUTH_CMD=$2; shift ;;
        --deliver-port) DELIVER_PORT=$2; shift ;;
        --only) ONLY=$2; shift ;;
        *) usage ;;
    esac
    shift
done
if [ -z "$TRUTH_CMD" ]; then
    [ -n "$MAILDIR" ] && [ -d "$MAILDIR/cur" ] || { echo "clients.sh: --maildir USER_MAILDIR (with cur/) is required"; exit 2; }
    MAILDIR=$(cd "$MAILDIR" && pwd)
else
    [ -z "$MAILDIR" ] || { echo "clients.sh: --maildir and --truth-command exclude each other"; exit 2; }
fi

W=$(mktemp -d /tmp/imap-clients.XXXXXX)
TMUX_SOCK="imap-clients-$$"
cleanup() {
    tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1 || true
    if [ -n "${KEEP_CLIENT_FILES:-}" ]; then echo "clients: files kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

VERIFY=(python3 "$HERE/verify.py")
TLSFLAG=()
SCHEME=imap
if [ "$TLS" = 1 ]; then
    TLSFLAG=(--tls)
    SCHEME=imaps
    openssl s_client -connect "$HOST:$PORT" -servername localhost </dev/null 2>/dev/null \
        | openssl x509 >"$W/server-cert.pem" 2>/dev/null
    [ -s "$W/server-cert.pem" ] || { echo "clients.sh: could not get the server certificate from $HOST:$PORT"; exit 1; }
fi
IMAPV=("${VERIFY[@]}" imap "$HOST" "$PORT" "$IUSER" "$IPASS" "${TLSFLAG[@]}")

PASSED=0 FAILED=0
declare -a SUMMARY=()

# refresh_truth: with --truth-command, export the server's state now and point MAILDIR at it
# (each client runs in its own subshell, so this MAILDIR is that client's). Without it, the
# server's own Maildir is always current and this does nothing.
refresh_truth() {
    [ -n "$TRUTH_CMD" ] || return 0
    local dir
    dir=$(mktemp -d "$W/truth.XXXXXX")
    # (timeout: an export that hangs fails the client instead of the run)
    if ! timeout 120 bash -c "$TRUTH_CMD \"\$1\"" truth-command "$dir" >"$dir.log" 2>&1; then
        echo "clients.sh: the truth command failed:"; sed 's/^/    /' "$dir.log"; return 1
    fi
    [ -d "$dir/$IUSER/cur" ] || { echo "clients.sh: the truth command left no $dir/$IUSER/cur"; return 1; }
    MAILDIR="$dir/$IUSER"
    echo "truth: the server's state exported to $MAILDIR"
}

wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# run_client NAME FUNCTION: runs it with output to a log; shows the log on failure.
run_client() {
    local name=$1 fn=$2 log="$W/$1.log" start end rc
    wanted "$name" || return 0
    start=$(date +%s.%N)
    ( set -e; "$fn" ) >"$log" 2>&1
    rc=$?
    end=$(date +%s.%N)
    local secs
    secs=$(printf '%.1f' "$(echo "$end - $start" | bc 2>/dev/null || echo 0)")
    if [ $rc -eq 0 ]; then
        PASSED=$((PASSED + 1))
        echo "PASS $name (${secs}s)"
        grep -E '^verify:|passed, [0-9]+ failed' "$log" | sed 's/^/    /'
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $name (${secs}s, exit $rc)"
        tail -n 40 "$log" | sed 's/^/    | /'
    fi
}

c_imaplib() {
    refresh_truth
    # An exported truth is only a copy: IDLE's delivery must reach the server by APPEND.
    local deliver=maildir
    [ -n "$TRUTH_CMD" ] && deliver=append
    python3 "$HERE/imaplib_client.py" "$HOST" "$PORT" "$IUSER" "$IPASS" "${TLSFLAG[@]}" --maildir "$MAILDIR" \
        --deliver "$deliver" --deliver-port "$DELIVER_PORT"
}

c_thunderbird() {
    refresh_truth
    python3 "$HERE/thunderbird_sync.py" "$HOST" "$PORT" "$IUSER" "$IPASS" "${TLSFLAG[@]}" --maildir "$MAILDIR"
}

c_curl() {
    local k=() base="$SCHEME://$HOST:$PORT"
    [ "$TLS" = 1 ] && k=(--insecure)
    refresh_truth
    mkdir -p "$W/curl"
    curl -sS --max-time 60 "${k[@]}" --user "$IUSER:$IPASS" "$base/" -o "$W/curl/list.txt"
    grep -qi 'INBOX' "$W/curl/list.txt" || { echo "curl LIST lacks INBOX:"; cat "$W/curl/list.txt"; return 1; }
    curl -sS --max-time 60 "${k[@]}" --user "$IUSER:$IPASS" "$base/INBOX" -X 'UID SEARCH ALL' -o "$W/curl/search.txt"
    read -r -a uids < <(grep -i '^\* SEARCH' "$W/curl/search.txt" | tr -d '\r' | cut -d' ' -f3-)
    local n=${#uids[@]} want
    want=$(find "$MAILDIR/cur" "$MAILDIR/new" -type f | wc -l)
    echo "curl: UID SEARCH ALL -> $n UIDs (Maildir has $want)"
    [ "$n" -eq "$want" ]
    for uid in "${uids[0]}" "${uids[$((n / 2))]}" "${uids[$((n - 1))]}"; do
        curl -sS --max-time 60 "${k[@]}" --user "$IUSER:$IPASS" "$base/INBOX;UID=$uid" -o "$W/curl/uid-$uid.eml"
        "${VERIFY[@]}" contains "$MAILDIR" "$W/curl/uid-$uid.eml"
    done
    # a section too: curl's ;SECTION=HEADER
    curl -sS --max-time 60 "${k[@]}" --user "$IUSER:$IPASS" "$base/INBOX;UID=${uids[0]};SECTION=HEADER" -o "$W/curl/hdr.txt"
    [ -s "$W/curl/hdr.txt" ] && echo "verify: ;SECTION=HEADER gave $(wc -c <"$W/curl/hdr.txt") bytes"
}

c_mbsync() {
    local d="$W/mbsync" ssl="None" cert=""
    mkdir -p "$d/mail"
    # (no empty line may appear inside an mbsync section: it ends the section)
    if [ "$TLS" = 1 ]; then ssl="IMAPS"; cert="CertificateFile $W/server-cert.pem"; else cert="PipelineDepth 1"; fi
    # mbsync checks the certificate's name even for a trusted CertificateFile; test
    # certificates are made for "localhost", so use that name for the loopback address.
    local mhost=$HOST
    [ "$TLS" = 1 ] && [ "$HOST" = 127.0.0.1 ] && mhost=localhost
    cat >"$d/mbsyncrc" <<EOF
IMAPAccount acct
Host $mhost
Port $PORT
User $IUSER
Pass $IPASS
SSLType $ssl
$cert
AuthMechs LOGIN PLAIN

IMAPStore remote
Account acct

MaildirStore local
Path $d/mail/
Inbox $d/mail/INBOX
SubFolders Verbatim

Channel inbox
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync All
SyncState *
Expunge None
CopyArrivalDate yes
EOF
    timeout 180 mbsync -c "$d/mbsyncrc" -V inbox
    refresh_truth
    "${VERIFY[@]}" same "$MAILDIR" "$d/mail/INBOX"
    # a flag change on each side, and a new message on each side
    local near far
    near=$("${VERIFY[@]}" pick-id "$d/mail/INBOX" --without-flag F)
    far=$("${VERIFY[@]}" pick-id "$MAILDIR" --without-flag R --not "$near")
    "${VERIFY[@]}" set-local-flag "$d/mail/INBOX" "$near" F
    "${IMAPV[@]}" store "$far" '\Answered'
    printf 'From: near@example.org\r\nTo: %s\r\nSubject: written near\r\nMessage-ID: <mbsync-near-%s@interop>\r\n\r\nnear side\r\n' \
        "$IUSER" "$$" >"$d/mail/INBOX/new/$(date +%s).near$$.interop"
    printf 'From: far@example.org\r\nTo: %s\r\nSubject: written far\r\nMessage-ID: <mbsync-far-%s@interop>\r\n\r\nfar side\r\n' \
        "$IUSER" "$$" >"$d/far.eml"
    "${IMAPV[@]}" append "$d/far.eml"
    timeout 180 mbsync -c "$d/mbsyncrc" -V inbox
    "${IMAPV[@]}" flags "$near" | tee "$d/near-flags" && grep -q '\\Flagged' "$d/near-flags" \
        && echo "verify: near-side \\Flagged reached the server"
    "${VERIFY[@]}" local-flags "$d/mail/INBOX" "$far" | tee "$d/far-flags" && grep -q R "$d/far-flags" \
        && echo "verify: server-side \\Answered reached the Maildir"
    "${IMAPV[@]}" has "<mbsync-near-$$@interop>" && echo "verify: near-side new message uploaded"
    refresh_truth
    "${VERIFY[@]}" same "$MAILDIR" "$d/mail/INBOX"
}

c_offlineimap() {
    local d="$W/offlineimap" sslopts="ssl = no"
    mkdir -p "$d/mail" "$d/meta"
    if [ "$TLS" = 1 ]; then
        local fp
        fp=$(openssl x509 -noout -fingerprint -sha256 -in "$W/server-cert.pem" | cut -d= -f2)
        sslopts="ssl = yes
cert_fingerprint = $fp"
    fi
    cat >"$d/offlineimaprc" <<EOF
[general]
accounts = acct
metadata = $d/meta
ui = basic

[Account acct]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = $d/mail

[Repository remote]
type = IMAP
remotehost = $HOST
remoteport = $PORT
remoteuser = $IUSER
remotepass = $IPASS
starttls = no
$sslopts
folderfilter = lambda f: f == 'INBOX'
EOF
    timeout 180 offlineimap -c "$d/offlineimaprc" -o -u basic
    refresh_truth
    # offlineimap3 rewrites messages through Python's email package (closes an unclosed
    # multipart), so boundary lines are left out of its comparison.
    "${VERIFY[@]}" same "$MAILDIR" "$d/mail/INBOX" --ignore-boundary-lines
}

c_fetchmail() {
    local d="$W/fetchmail" sslopt="sslproto ''"
    mkdir -p "$d/out"
    # plain: sslproto '' stops fetchmail's opportunistic STARTTLS; TLS: trust the test cert
    [ "$TLS" = 1 ] && sslopt="ssl no sslcertck"
    cat >"$d/mda.sh" <<EOF
#!/bin/sh
exec cat > "$d/out/\$(date +%s%N).\$\$"
EOF
    chmod +x "$d/mda.sh"
    cat >"$d/fetchmailrc" <<EOF
set no bouncemail
set no syslog
poll $HOST service $PORT protocol IMAP auth password
    user "$IUSER" there with password "$IPASS" is "$(id -un)" here
    keep fetchall no rewrite no mimedecode $sslopt
    mda "$d/mda.sh"
EOF
    chmod 600 "$d/fetchmailrc"
    local rc=0
    HOME="$d" timeout 180 fetchmail -f "$d/fetchmailrc" -i "$d/fetchids" --nodetach -v || rc=$?
    # fetchmail: 0 = mail fetched, 1 = no mail; anything else is an error
    [ $rc -le 1 ] || { echo "fetchmail exit $rc"; return 1; }
    refresh_truth
    "${VERIFY[@]}" same "$MAILDIR" "$d/out" --files
}

c_mutt() {
    local d="$W/mutt" folder
    mkdir -p "$d"
    local uenc=${IUSER//@/%40}
    folder="$SCHEME://$uenc@$HOST:$PORT/"
    : >"$d/certs"
    [ "$TLS" = 1 ] && cp "$W/server-cert.pem" "$d/certs"
    cat >"$d/muttrc" <<EOF
set folder="$folder"
set spoolfile="+INBOX"
set imap_user="$IUSER"
set imap_pass="$IPASS"
set ssl_starttls=no
set ssl_force_tls=no
set certificate_file="$d/certs"
set ssl_verify_host=no
set header_cache=""
set message_cachedir=""
set sort=mailbox-order
set index_format="ROW|%4C|%s"
set status_format="MUTTSTATUS msgs=%m"
set help=no
set mark_old=no
set move=no
set quit=yes
set imap_check_subscribed=no
set imap_passive=yes
set timeout=5
set mail_check=5
set charset="utf-8"
EOF
    local want
    refresh_truth
    want=$(find "$MAILDIR/cur" "$MAILDIR/new" -type f | wc -l)
    tmux -L "$TMUX_SOCK" new-session -d -s mutt -x 220 -y 60 \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 mutt -n -F '$d/muttrc'; sleep 30"
    local i screen=""
    for i in $(seq 1 120); do
        sleep 0.25
        screen=$(tmux -L "$TMUX_SOCK" capture-pane -p -t mutt 2>/dev/null || true)
        if grep -q '(r)eject' <<<"$screen"; then
            tmux -L "$TMUX_SOCK" send-keys -t mutt o
            continue
        fi
        if grep -q "MUTTSTATUS msgs=$want" <<<"$screen" && grep -q '^ *\(->\)\? *ROW|' <<<"$screen"; then
            break
        fi
    done
    printf '%s\n' "$screen" >"$d/screen.txt"
    sed -n '1,12p' "$d/screen.txt"
    "${VERIFY[@]}" mutt-pane "$MAILDIR" "$d/screen.txt"
    # open the first message: the pager must show its body
    tmux -L "$TMUX_SOCK" send-keys -t mutt Home Enter
    sleep 1.5
    tmux -L "$TMUX_SOCK" capture-pane -p -t mutt >"$d/pager.txt"
    tmux -L "$TMUX_SOCK" send-keys -t mutt q q
    "${VERIFY[@]}" mutt-pager "$MAILDIR" "$d/pager.txt"
}

if [ -n "$TRUTH_CMD" ]; then
    echo "clients: $SCHEME://$HOST:$PORT as $IUSER, truth exported by: $TRUTH_CMD DIR"
else
    echo "clients: $SCHEME://$HOST:$PORT as $IUSER, Maildir $MAILDIR"
fi
run_client imaplib c_imaplib
run_client thunderbird c_thunderbird
run_client curl c_curl
run_client mbsync c_mbsync
run_client offlineimap c_offlineimap
run_client fetchmail c_fetchmail
run_client mutt c_mutt
echo "clients ($SCHEME): $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
