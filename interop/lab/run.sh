#!/usr/bin/env bash
# CI entry of the network lab: installs its peers (idempotent), then runs the self-test.
#   bash interop/lab/run.sh [CORREO]     as root; CORREO (a correo binary) is for the relay cases of
#                                        issue 12 and only printed for now
# The last line is `lab: N passed, M failed`; the exit status is non-zero on any failure. The lab is
# torn down by the self-test (also on Ctrl-C/SIGTERM, which are passed on to it), and once more here
# as a safety net: no namespace, process or /etc/netns entry of the lab outlives this script.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
correo="${1:-}"

if [ "$(id -u)" != 0 ]; then
    echo "lab: run as root (ip netns, ports 25/53 inside the lab's namespaces)" >&2
    echo "lab: 0 passed, 1 failed"
    exit 1
fi

t0=$(date +%s)
if ! bash "$here/install.sh"; then
    echo "lab: installing the peers failed"
    echo "lab: 0 passed, 1 failed"
    exit 1
fi
echo "lab: install step took $(( $(date +%s) - t0 )) s"
if [ -n "$correo" ]; then
    echo "lab: correo binary: $correo ($( [ -x "$correo" ] && echo present || echo 'not found' ); not used yet)"
fi

py="$(command -v python3)"
# the real interpreter, not a version manager's shell shim: it is started inside namespaces many times
py="$("$py" -c 'import sys; print(sys.executable)')"

log="$(mktemp /tmp/correo-lab-selftest.XXXXXX)"
t1=$(date +%s)
"$py" "$here/selftest.py" "$correo" > >(tee "$log") 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' INT TERM
rc=0
wait "$pid" || rc=$?
# a trapped signal ends `wait` early: wait again for the self-test's teardown (bounded)
for _ in $(seq 20); do
    kill -0 "$pid" 2>/dev/null || break
    wait "$pid" || rc=$?
done
trap - INT TERM
sleep 0.2  # let tee drain
"$py" "$here/lab.py" cleanup >/dev/null 2>&1 || true
echo "lab: network lab step took $(( $(date +%s) - t1 )) s (installs excluded)"
summary="$(grep -aE '^lab: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
rm -f "$log"
if [ -z "$summary" ]; then
    echo "lab: 0 passed, 1 failed"
    exit 1
fi
echo "$summary"
if [ "$rc" != 0 ] || ! echo "$summary" | grep -q ', 0 failed$'; then
    exit 1
fi
exit 0
