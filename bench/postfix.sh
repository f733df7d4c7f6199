#!/usr/bin/env bash
# A private Postfix instance for the benchmarks; never touches the system's Postfix.
#   postfix.sh start DIR PORT [DOMAIN] [USERS]   config in DIR/etc, queue in DIR/spool, mail in DIR/vmail/USER@DOMAIN/
#   postfix.sh stop DIR
#   postfix.sh pid DIR                           prints the master process id
# It listens on 127.0.0.1:PORT only, accepts mail for DOMAIN (default bench.test) for the users
# u0..u(USERS-1) (default 16) into Maildir (DIR/vmail/u0@bench.test/new/ ...), durably (Postfix fsyncs
# the queue file and the delivered file by default), and relays nothing: every other destination
# is refused at RCPT, and the default transport is `error`.
set -euo pipefail
cmd="${1:?usage: postfix.sh start|stop|pid DIR [PORT] [DOMAIN] [USERS]}"
dir="$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)"
conf="$dir/etc"

case "$cmd" in
start)
    port="${3:?PORT}"
    domain="${4:-bench.test}"
    users="${5:-16}"
    if [[ -f "$dir/spool/pid/master.pid" ]] && kill -0 "$(cat "$dir/spool/pid/master.pid")" 2>/dev/null; then
        echo "postfix.sh: already running in $dir" >&2
        exit 1
    fi
    mkdir -p "$conf" "$dir/spool" "$dir/data" "$dir/vmail" "$dir/log"
    owner_uid="$(id -u nobody)"
    owner_gid="$(id -g nobody)"
    chown "$owner_uid:$owner_gid" "$dir/vmail"
    chown postfix "$dir/data"
    : >"$conf/vmailbox"
    for ((i = 0; i < users; i++)); do
        echo "u$i@$domain u$i@$domain/" >>"$conf/vmailbox"
    done
    cat >"$conf/main.cf" <<CF
compatibility_level = 3.6
config_directory = $conf
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$domain
mydomain = $domain
myorigin = $domain
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
default_transport = error:outbound mail is disabled in this benchmark instance
relay_transport = error:outbound mail is disabled in this benchmark instance
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
biff = no
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/vmail
virtual_mailbox_maps = texthash:$conf/vmailbox
virtual_minimum_uid = 1
virtual_uid_maps = static:$owner_uid
virtual_gid_maps = static:$owner_gid
virtual_mailbox_limit = 0
message_size_limit = 52428800
maillog_file = $dir/log/postfix.log
maillog_file_prefixes = $dir/log
smtpd_banner = \$myhostname ESMTP
shlib_directory = /usr/lib/postfix
CF
    # chroot off (column 5 = n): the instance lives in a scratch folder, not in a prepared chroot.
    cat >"$conf/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
    postfix -c "$conf" set-permissions >/dev/null 2>&1 || true
    # postfix(1) reports a fatal configuration error only to syslog (absent here) or a terminal:
    # postconf prints such errors on stderr, and `script` gives postfix a terminal when it fails.
    postconf -c "$conf" -n >/dev/null
    if ! postfix -c "$conf" check >/dev/null 2>&1 || ! postfix -c "$conf" start >/dev/null 2>&1; then
        script -qec "postfix -c '$conf' check && postfix -c '$conf' start" /dev/null >&2 || true
        echo "postfix.sh: postfix did not start in $dir; see $dir/log/postfix.log" >&2
        exit 1
    fi
    # Wait for the listener.
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
        sleep 0.1
    done
    echo "postfix.sh: no listener on 127.0.0.1:$port; see $dir/log/postfix.log" >&2
    exit 1
    ;;
stop)
    if [[ -f "$conf/main.cf" ]]; then
        postfix -c "$conf" stop 2>/dev/null || true
        for _ in $(seq 100); do
            [[ -f "$dir/spool/pid/master.pid" ]] && kill -0 "$(cat "$dir/spool/pid/master.pid")" 2>/dev/null || exit 0
            sleep 0.1
        done
        kill -9 "$(cat "$dir/spool/pid/master.pid")" 2>/dev/null || true
    fi
    ;;
pid)
    tr -d ' \n' <"$dir/spool/pid/master.pid"
    echo
    ;;
*)
    echo "usage: postfix.sh start|stop|pid DIR [PORT] [DOMAIN] [USERS]" >&2
    exit 2
    ;;
esac
