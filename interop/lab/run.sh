#!/usr/bin/env bash
# CI entry of the network lab: installs its peers (idempotent), runs the self-test, then (given a
# correo binary) the correo cases of issue 12 (correo_cases.py), the MTA-STS/TLS-RPT cases of issue 13
# (mtasts_cases.py) and the DKIM cases of issue 13 (dkim_cases.py: correo signs, Postfix's OpenDKIM
# milter verifies), each in a lab of their own.
#   bash interop/lab/run.sh [CORREO]     as root; CORREO: the correo binary the cases run
# The last line is `lab: N passed, M failed`, the steps' counts added up; the exit status is
# non-zero on any failure (a step that ends non-zero or prints no count is one failure more). Each
# lab is torn down by its step (also on Ctrl-C/SIGTERM, which are passed on and skip what is left),
# and once more here as a safety net: no namespace, process or /etc/netns entry of the lab outlives
# this script.
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
    echo "lab: correo binary: $correo ($( [ -x "$correo" ] && echo present || echo 'not found' ))"
fi

py="$(command -v python3)"
# the real interpreter, not a version manager's shell shim: it is started inside namespaces many times
py="$("$py" -c 'import sys; print(sys.executable)')"

# run_step NAME SCRIPT ARGS...: runs one Python step in the background (so that Ctrl-C/SIGTERM reach
# it and its teardown), tees its output, and sets step_summary to its `... N passed, M failed` line
# (empty if it printed none) and step_rc to its exit status.
run_step() {
    local name="$1"; shift
    local log pid
    log="$(mktemp /tmp/correo-lab-$name.XXXXXX)"
    "$py" "$@" > >(tee "$log") 2>&1 &
    pid=$!
    trap 'kill -TERM "$pid" 2>/dev/null; interrupted=1' INT TERM
    step_rc=0
    wait "$pid" || step_rc=$?
    # a trapped signal ends `wait` early: wait again for the step's teardown (bounded)
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || break
        wait "$pid" || step_rc=$?
    done
    trap - INT TERM
    sleep 0.2  # let tee drain
    step_summary="$(grep -aE '^lab( [a-z-]+)?: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
    rm -f "$log"
}

# add_step: adds the step's counts to the totals; a step that printed no count, or that ended
# non-zero although its count says 0 failed, is one failure more
add_step() {
    if [[ $step_summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        if [ "$step_rc" != 0 ] && [ "${BASH_REMATCH[2]}" = 0 ]; then failed=$((failed + 1)); fi
    else
        failed=$((failed + 1))
    fi
}

interrupted=0
passed=0
failed=0
t1=$(date +%s)
run_step selftest "$here/selftest.py" "$correo"
add_step
# the correo steps, each in a fresh lab: issue 12's relay cases, then issue 13's MTA-STS/TLS-RPT and
# DKIM cases
for step in correo mtasts dkim; do
    [ -n "$correo" ] && [ "$interrupted" = 0 ] || break
    "$py" "$here/lab.py" cleanup >/dev/null 2>&1 || true
    t2=$(date +%s)
    run_step "$step" "$here/${step}_cases.py" "$correo"
    add_step
    echo "lab: $step cases took $(( $(date +%s) - t2 )) s"
done
"$py" "$here/lab.py" cleanup >/dev/null 2>&1 || true
echo "lab: network lab step took $(( $(date +%s) - t1 )) s (installs excluded)"
echo "lab: $passed passed, $failed failed"
if [ "$failed" != 0 ] || [ "$interrupted" != 0 ]; then
    exit 1
fi
exit 0
