#!/usr/bin/env bash
# A private INN on 127.0.0.1:PORT, everything under DIR (its own inn.conf, active file, history,
# spool, overview, logs), for the differential test and the bench. Not the system instance: innd reads
# the inn.conf that INNCONF names, and every path in ours points into DIR, so nothing under /etc/news or
# /var/spool/news is touched and several instances can run side by side.
#
#   inn.sh start DIR PORT [GROUP...]   create DIR (if new) with GROUPs (default: test.diff), start innd
#   inn.sh stop DIR                    ctlinnd shutdown, then wait (bounded) for innd to exit
#
# innd started as root drops to the news user, so DIR is owned by news. Reader connections from
# 127.0.0.1 reach innd first (it is a peer in incoming.conf, so IHAVE works); MODE READER hands the
# connection to nnrpd, which readers.conf lets read and post. Articles are fed with IHAVE over the socket.
set -euo pipefail
INN=/usr/lib/news/bin
cmd=${1:?usage: inn.sh start|stop DIR [PORT GROUP...]}
dir=$(realpath -m "${2:?DIR}")
export INNCONF=$dir/etc/inn.conf

case $cmd in
start)
    port=${3:?PORT}
    shift 3
    groups=("$@")
    [ ${#groups[@]} -gt 0 ] || groups=(test.diff)
    test -x $INN/innd || { echo "inn.sh: inn2 is not installed (interop/nntp/install-inn.sh)" >&2; exit 2; }
    mkdir -p "$dir"/{etc,db,run,log,tmp,spool/articles,spool/overview,spool/incoming/tmp,spool/outgoing,spool/archive}
    chmod 755 "$dir"
    cp -n /etc/news/* "$dir/etc/" 2>/dev/null || true
    rm -f "$dir/etc/inn.conf"
    # the system inn.conf with every path (and the port) replaced
    sed -E -e '/^(pathnews|pathbin|pathetc|pathdb|pathrun|pathlog|pathspool|pathtmp|pathoverview|patharticles|patharchive|pathincoming|pathoutgoing|pathcontrol|pathfilter|pathhttp|port|bindaddress|bindaddress6|domain|pathhost|fromhost|server|nnrpdpostport|artcutoff|ovmethod|logsitename|status|timer|hiscachesize|pgpverify|mta|nnrpdloadlimit):/d' \
        /etc/news/inn.conf > "$dir/etc/inn.conf"
    cat >> "$dir/etc/inn.conf" <<CONF
pathnews:      /usr/lib/news
pathbin:       /usr/lib/news/bin
pathcontrol:   /usr/lib/news/bin/control
pathfilter:    /etc/news/filter
pathetc:       $dir/etc
pathdb:        $dir/db
pathrun:       $dir/run
pathlog:       $dir/log
pathtmp:       $dir/tmp
pathspool:     $dir/spool
patharticles:  $dir/spool/articles
pathoverview:  $dir/spool/overview
pathincoming:  $dir/spool/incoming
pathoutgoing:  $dir/spool/outgoing
patharchive:   $dir/spool/archive
pathhttp:      $dir/tmp
port:          $port
bindaddress:   127.0.0.1
bindaddress6:  none
domain:        example.test
pathhost:      inn.example.test
server:        127.0.0.1
nnrpdpostport: $port
artcutoff:     0
ovmethod:      tradindexed
hiscachesize:  256
pgpverify:     false
status:        0
timer:         0
mta:           "/bin/true %s"
# nnrpd refuses readers above load 16 (its default); a busy CI machine gets there, and the
# differential then reads "400 load too high" instead of INN's answers
nnrpdloadlimit: 0
CONF
    # the feed file: local articles go nowhere else; no control channel program (it would mail root)
    printf 'ME:*::\n' > "$dir/etc/newsfeeds"
    # readers on 127.0.0.1 may read, post and ask NEWNEWS (N; the Debian default is RPA, without N)
    cat > "$dir/etc/readers.conf" <<'READERS'
auth "localhost" {
    hosts: "localhost, 127.0.0.1, ::1, stdin"
    default: "<localhost>"
}
access "localhost" {
    users: "<localhost>"
    newsgroups: "*"
    access: RPAN
}
READERS
    if [ ! -s "$dir/db/active" ]; then
        {
            printf 'control 0000000000 0000000001 n\ncontrol.cancel 0000000000 0000000001 n\njunk 0000000000 0000000001 n\n'
            for g in "${groups[@]}"; do printf '%s 0000000000 0000000001 y\n' "$g"; done
        } > "$dir/db/active"
        now=$(date +%s)
        : > "$dir/db/active.times"
        : > "$dir/db/newsgroups"
        for g in "${groups[@]}"; do
            printf '%s %s inn@example.test\n' "$g" "$now" >> "$dir/db/active.times"
            printf '%s\tThe %s group\n' "$g" "$g" >> "$dir/db/newsgroups"
        done
        : > "$dir/db/history"
        chown -R news:news "$dir"
        runuser -u news -- env INNCONF="$INNCONF" $INN/makedbz -i -o -f "$dir/db/history"
    fi
    chown -R news:news "$dir"
    # innd forks nothing when -f is given; we background it ourselves and keep its pid
    nohup $INN/innd -f </dev/null >"$dir/log/innd.out" 2>&1 &
    echo $! > "$dir/innd.launcher.pid"
    for _ in $(seq 1 100); do
        if python3 - "$port" <<'PY' 2>/dev/null; then echo "inn.sh: innd on 127.0.0.1:$port ($dir)"; exit 0; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.settimeout(5)
assert s.recv(512).startswith(b"200")
s.sendall(b"QUIT\r\n")
PY
        sleep 0.1
    done
    echo "inn.sh: innd did not answer on $port; log:" >&2
    tail -20 "$dir/log/innd.out" "$dir"/log/news.* 2>/dev/null >&2 || true
    exit 1
    ;;
stop)
    [ -d "$dir" ] || exit 0
    $INN/ctlinnd -t 10 shutdown "inn.sh stop" >/dev/null 2>&1 || true
    pid=$(cat "$dir/innd.launcher.pid" 2>/dev/null || true)
    for _ in $(seq 1 50); do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    echo "inn.sh: stopped ($dir)"
    ;;
*) echo "usage: inn.sh start DIR PORT [GROUP...] | stop DIR" >&2; exit 2 ;;
esac
