"""The hostile-client stress suite: runs the real correo binary, attacks it once per case of issue 7,
and prints one PASS/FAIL line per case with its figures. Exits 1 if any case fails.

    python3 stress/stress.py [--quick] [--only NAME[,NAME]] CORREO_BINARY

Every case also checks, after its attack: the server is still running, a normal smtplib/imaplib client
from another address is served at once, no acknowledged message is missing from the Maildir, no partial
message is visible, tmp/ is empty, and the server's peak RSS (VmRSS, sampled every 20 ms during the
case) stayed under the case's bound. See stress/README.md for the bounds and why."""

import argparse
import asyncio
import sys
import time
import traceback

import cases_connections as connections
import cases_messages as messages
from harness import RSSSampler, Server, normal_clients, raise_open_file_limit

FAST = {"command_timeout": connections.SLOW_TIMEOUT, "login_timeout": connections.SLOW_TIMEOUT}
MANY = {"max_connections": 12000, "max_connections_per_address": 12000}

# name, attack, server limits, RSS bound in MB
CASES = [
    ("slowloris", connections.slowloris, {**FAST, **MANY}, 80),
    ("idle-10k", connections.idle_horde, MANY, 150),
    ("connection-caps", connections.connection_caps, {}, 64),
    ("literal-100MB", messages.huge_literal, {}, 64),
    ("header-100k-lines", messages.many_header_lines, {}, 150),
    ("mime-10k-deep", messages.deep_mime, {}, 100),
    ("data-1GB", messages.huge_data, {}, 64),
    ("wrong-passwords", connections.wrong_passwords,
     {"auth_failure_delay_ms": 50, "auth_failures_before_block": 10}, 64),
    ("pipelined-floods", connections.pipelined_floods, {}, 100),
    ("vanishing-clients", connections.vanishing, {}, 80),
]


def run_case(binary, name, attack, limits, bound_mb, quick):
    started = time.monotonic()
    server = Server(binary, **limits).start()
    sampler = RSSSampler(server.pid).start()
    idle_mb = sampler.current_kb() / 1024
    problems, figures = [], ""
    try:
        problems, figures = asyncio.run(attack(server, quick))
    except Exception as error:  # noqa: BLE001 - an attack that breaks is a failure with its reason
        problems = [f"attack raised {error!r}"]
        traceback.print_exc()
    sampler.stop()
    if not server.alive():
        problems.append(f"server died (exit {server.process.returncode}): {server.log_text()[-300:]!r}")
    else:
        after, seconds = normal_clients(server, name + "-after")
        problems += ["after the attack: " + p for p in after]
        problems += server.check_store()
        figures += f"; normal client after {seconds:.2f}s"
    if sampler.peak_mb > bound_mb:
        problems.append(f"peak RSS {sampler.peak_mb:.0f} MB over the {bound_mb} MB bound")
    server.stop()
    if server.process.returncode not in (0, None):
        problems.append(f"server exited {server.process.returncode} on SIGTERM")
    if problems:
        print(f"--- {name} server log (last lines) ---\n" + "\n".join(server.log_text().splitlines()[-15:]),
              file=sys.stderr)
    server.cleanup()
    status = "PASS" if not problems else "FAIL"
    print(f"{status} {name}: peak RSS {sampler.peak_mb:.0f} MB (idle {idle_mb:.0f}, bound {bound_mb}), "
          f"{time.monotonic() - started:.1f}s; {figures}", flush=True)
    for problem in problems:
        print(f"     {problem}", flush=True)
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller attacks, for a quick look")
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("binary")
    args = parser.parse_args()
    raise_open_file_limit()
    wanted = set(args.only.split(",")) if args.only else None
    started = time.monotonic()
    results = [run_case(args.binary, name, attack, limits, bound, args.quick)
               for name, attack, limits, bound in CASES if wanted is None or name in wanted]
    failed = results.count(False)
    print(f"stress: {len(results) - failed} passed, {failed} failed in {time.monotonic() - started:.0f}s")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
