#!/usr/bin/env bash
# Mail merge: ROWS personalised messages from one CSV list and one template, sent to an aiosmtpd sink
# (bench/sink.py) by mailmerge 2.3.0 and, with CORREO=path, by `correo send`. Three variants:
#   plain          no TLS, no AUTH
#   starttls_auth  STARTTLS (self-signed certificate, not verified by either client) + AUTH PLAIN/LOGIN
#   attachment     no TLS, no AUTH, a 100 KiB attachment on every message
# msgs/s = rows / wall time of the client command, checked against the count the sink received.
# The sink: --sink fast (default, bench/fastsink.py, asyncio) or --sink aiosmtpd (bench/sink.py): aiosmtpd
# takes only a few hundred messages a second here, about mailmerge's own speed, so it would hide a faster client.
# Usage: merge_bench.sh [--sink fast|aiosmtpd] [--rows N] [--attachment-rows N (default: --rows)] [--runs R] [--variants plain,starttls_auth,attachment] [--port P] [--out FILE]
# Prints one JSON line per client, variant and run (and appends them to --out).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sink_kind=fast rows=10000 attachment_rows="" runs=3 variants="plain,starttls_auth,attachment" port=21470 out="" work="$here/work"
while (($#)); do
    case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --attachment-rows) attachment_rows="$2"; shift 2 ;;
    --sink) sink_kind="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --variants) variants="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "merge_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
: "${attachment_rows:=$rows}"
work="$(mkdir -p "$work" && cd "$work" && pwd)"
client_timeout=$((60 + rows / 5))  # seconds: far above mailmerge's time, a bound if a client hangs
py="$here/.venv/bin/python"
[[ -x "$py" ]] || { echo "merge_bench.sh: run bench/install.sh first" >&2; exit 1; }
mm="$here/.venv/bin/mailmerge"
d="$work/merge"
mkdir -p "$d"
user="bench@bench.test" password="benchpass"

# The same list for everyone: a header row (name,email), every 7th name non-ASCII.
for n in "$rows" "$attachment_rows"; do
    [[ -f "$d/list-$n.csv" ]] && continue
    "$py" - "$n" >"$d/list-$n.csv" <<'PY'
import sys
names = ["Ana García", "Bob Smith", "Chloé Dubois", "Dmitri Ivanov", "Eva Müller", "Frank Li", "Søren Jensen"]
print("name,email")
for i in range(int(sys.argv[1])):
    print(f"{names[i % 7]} {i},u{i % 16}@bench.test")
PY
done
[[ -f "$d/attachment.bin" ]] || head -c 102400 /dev/urandom >"$d/attachment.bin"
if [[ ! -f "$d/cert.pem" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
fi
body='Hello {{name}},

this is your personal copy of the benchmark newsletter. Your address is {{email}}.
It has a few lines of text, like a real message would, so that the personalisation
is not the only work done per row.

Best regards,
The benchmark'
printf '%s\n' "$body" >"$d/body.txt"
for v in plain attachment; do
    {
        echo "TO: {{email}}"
        echo "SUBJECT: Benchmark newsletter for {{name}}"
        echo "FROM: Bench Sender <sender@bench.test>"
        [[ "$v" == attachment ]] && echo "ATTACHMENT: attachment.bin"
        echo
        printf '%s\n' "$body"
    } >"$d/template-$v.txt"
done
printf '[smtp_server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$d/server-plain.conf"
printf '[smtp_server]\nhost = 127.0.0.1\nport = %s\nsecurity = STARTTLS\nusername = %s\n' "$port" "$user" \
    >"$d/server-starttls_auth.conf"
printf '%s\n' "$password" >"$d/password.txt"

sink_pid=""
start_sink() { # variant
    local args=(--port "$port")
    [[ "$1" == starttls_auth ]] && args+=(--tls "$d/cert.pem" "$d/key.pem" --auth "$user:$password")
    rm -f "$d/sink.ready"
    local script="$here/fastsink.py"
    [[ "$sink_kind" == aiosmtpd ]] && script="$here/sink.py"
    "$py" "$script" "${args[@]}" --ready-file "$d/sink.ready" >"$d/sink.out" 2>"$d/sink.err" &
    sink_pid=$!
    for _ in $(seq 200); do [[ -f "$d/sink.ready" ]] && return 0; sleep 0.05; done
    echo "merge_bench.sh: sink did not start: $(cat "$d/sink.err")" >&2
    return 1
}
stop_sink() {
    kill -TERM "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=""
}
trap '[[ -n "$sink_pid" ]] && kill "$sink_pid" 2>/dev/null; true' EXIT

now() { date +%s.%N; }

run_client() { # client variant run
    local client="$1" v="$2" run="$3" t0 t1 rc=0 sink load n="$rows"
    [[ "$v" == attachment ]] && n="$attachment_rows"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    start_sink "$v"
    t0="$(now)"
    case "$client" in
    mailmerge)
        local tpl="$d/template-plain.txt" conf="$d/server-plain.conf"
        [[ "$v" == attachment ]] && tpl="$d/template-attachment.txt"
        [[ "$v" == starttls_auth ]] && conf="$d/server-starttls_auth.conf"
        # The password is read by getpass: without a controlling terminal (setsid) it comes from stdin.
        (cd "$d" && setsid timeout "$client_timeout" "$mm" --no-dry-run --no-limit --template "$tpl" --database "$d/list-$n.csv" \
            --config "$conf" --output-format raw <"$d/password.txt" >"$d/mailmerge.out" 2>&1) || rc=$?
        ;;
    correo)
        local extra=(--tls none)
        [[ "$v" == attachment ]] && extra+=(-a "$d/attachment.bin")
        [[ "$v" == starttls_auth ]] && extra=(--tls starttls --insecure --user "$user" --password-file "$d/password.txt")
        timeout "$client_timeout" "$CORREO" send -c "$d/list-$n.csv" -e sender@bench.test -n "Bench Sender" -h 127.0.0.1 -p "$port" \
            -s "Benchmark newsletter for {{name}}" -m "$d/body.txt" "${extra[@]}" --send \
            >"$d/correo.out" 2>&1 || rc=$?
        ;;
    esac
    t1="$(now)"
    stop_sink
    sink="$(cat "$d/sink.out")"
    local line
    line="$("$py" - "$client" "$v" "$run" "$n" "$t0" "$t1" "$rc" "$sink" "$load" "$sink_kind" <<'PY'
import json, sys
client, v, run, rows, t0, t1, rc, sink, load, sink_name = sys.argv[1:]
sink = json.loads(sink) if sink.strip() else {}
el = float(t1) - float(t0)
print(json.dumps({"workload": "merge", "client": client, "variant": v, "run": int(run), "rows": int(rows),
                  "exit": int(rc), "elapsed_s": round(el, 3), "msgs_per_s": round(int(rows) / el, 1), "sink": sink_name,
                  "sink_messages": sink.get("messages"), "sink_cpu_s": sink.get("sink_cpu_s"),
                  "ok": int(rc) == 0 and sink.get("messages") == int(rows), "load_average_1m": float(load)}))
PY
)"
    echo "$line"
    [[ -n "$out" ]] && echo "$line" >>"$out"
    return 0
}

clients=(mailmerge)
if [[ -n "${CORREO:-}" ]]; then
    if "$py" "$here/servers.py" probe "$CORREO" send -c "$d/list-$rows.csv" -e sender@bench.test -n Bench \
        -h 127.0.0.1 -p "$port" -s probe -m "$d/body.txt" --limit 1; then
        clients+=(correo)
    else
        echo "merge_bench.sh: correo send: not yet available, skipped" >&2
        line='{"workload": "merge", "client": "correo", "skipped": "correo send: not yet available"}'
        echo "$line"; [[ -n "$out" ]] && echo "$line" >>"$out"
    fi
fi
# How fast the sink itself takes mail (plain, pipelined, no client-side MIME work): a client figure near
# this is limited by the sink, not by the client.
sink_capacity() { # connections
    local line
    start_sink plain
    line="$("$py" "$here/smtp_ingest.py" --port "$port" --count "$((rows < 5000 ? rows : 5000))" --size 1000 --connections "$1" \
        --users 16 --timeout 600 || true)"
    stop_sink
    line="$("$py" -c 'import json,sys; r=json.loads(sys.argv[1] or "{}"); print(json.dumps({"workload": "merge",
        "client": "sink_capacity", "sink": sys.argv[2], "connections": r.get("connections"), "rows": r.get("messages"),
        "msgs_per_s": r.get("msgs_per_s"), "errors": r.get("errors")}))' "$line" "$sink_kind")"
    echo "$line"
    [[ -n "$out" ]] && echo "$line" >>"$out"
    return 0
}
sink_capacity 1
sink_capacity 8

IFS=, read -ra vs <<<"$variants"
for ((r = 1; r <= runs; r++)); do
    for v in "${vs[@]}"; do
        for c in "${clients[@]}"; do
            run_client "$c" "$v" "$r"
        done
    done
done
