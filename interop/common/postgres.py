#!/usr/bin/env python3
"""A private PostgreSQL server for interop runs (stdlib only).

The shell/Python twin of Tests/MailTestSupport/PostgresServer.swift: Debian's
/usr/lib/postgresql/N/bin (the newest N), `initdb -A trust` into a fresh folder,
`postgres` listening on 127.0.0.1 only, on a free port, with its Unix socket in that
folder. Nothing is shared with a system cluster, and no system service is touched.

PostgreSQL refuses to run as root, so under root the folder is handed to the `postgres`
user and the tools run as that user through `setpriv` (which execs: the pid we keep is
the postmaster's own).

Command line:
    postgres.py start [--workdir DIR] [--database NAME]   prints "URL WORKDIR" when it is ready
    postgres.py stop --workdir DIR [--keep]               stops it; removes DIR unless --keep

The URL is postgres://correo@127.0.0.1:PORT/NAME (superuser `correo`, trusted logins,
database NAME, `correo` by default). The folder holds data/, socket/, postgres.log and
server.pid (the postmaster's pid, for stop). Every wait is bounded: 60 s for the server to accept
connections, 30 s for a fast shutdown before SIGKILL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from netutil import free_port  # noqa: E402

SUPERUSER = "correo"  # as PostgresServer.swift: initdb -U correo


def binaries() -> Path | None:
    """The newest installed version's bin/ folder (the one with initdb)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted((int(p.name) for p in root.iterdir() if p.name.isdigit()), reverse=True) if root.is_dir() else []
    for v in versions:
        b = root / str(v) / "bin"
        if os.access(b / "initdb", os.X_OK):
            return b
    return None


def as_postgres(argv: list[str]) -> list[str]:
    """argv, run as the `postgres` user when we are root (PostgreSQL refuses uid 0)."""
    if os.getuid() != 0:
        return argv
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv


def run(argv: list[str], cwd: Path, timeout: float = 120) -> None:
    r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{Path(argv[-1] if argv[0] == 'setpriv' else argv[0]).name} failed "
                           f"(exit {r.returncode}):\n{r.stdout.decode(errors='replace')[-2000:]}")


def ready(bin_dir: Path, port: int) -> bool:
    r = subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    return r.returncode == 0


def alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reaps it when it is our child
        return done != pid
    except ChildProcessError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """Fast shutdown (SIGINT: the postmaster ends its backends), SIGKILL when it lingers."""
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        # The whole session: the postmaster was started in its own (start_new_session).
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start(workdir: Path | None, database: str) -> tuple[str, Path]:
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
                           "apt-get install postgresql, or scripts/install-test-deps.sh)")
    own = workdir is None
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="correo-pg-interop."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data, sock, log = work / "data", work / "socket", work / "postgres.log"
        sock.mkdir(exist_ok=True)
        log.touch()
        if os.getuid() == 0:
            # The tools run as `postgres`: it must own the folder (and reach it: the parents
            # need o+x, which /tmp and a 0755 scratch folder have).
            run(["chown", "-R", "postgres:postgres", str(work)], cwd=Path("/"))
        # (the working folder must be readable by the user the tools run as)
        run(as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                         "--no-locale", "--no-sync"]), cwd=work)
        last = "no port tried"
        for _ in range(3):  # a free port can be taken between the probe and the bind: retry
            port = free_port()
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    as_postgres([str(bin_dir / "postgres"), "-D", str(data), "-k", str(sock), "-p", str(port),
                                 "-h", "127.0.0.1"]),
                    cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
            (work / "server.pid").write_text(str(proc.pid))
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                if ready(bin_dir, port):
                    break
                time.sleep(0.1)
            else:
                last = f"not ready on port {port}:\n" + log.read_text(errors="replace")[-2000:]
                stop_pid(proc.pid)
                continue
            # A database of our own, as a deployment would have (trusted login over TCP).
            run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, database],
                cwd=work, timeout=60)
            return f"postgres://{SUPERUSER}@127.0.0.1:{port}/{database}", work
        raise RuntimeError(last)
    except BaseException:
        stop(work, keep=not own)
        raise


def stop(work: Path, keep: bool = False) -> bool:
    pid_file = work / "server.pid"
    stopped = False
    if pid_file.exists():
        try:
            stop_pid(int(pid_file.read_text().strip()))
            stopped = True
        except ValueError:
            pass
        pid_file.unlink(missing_ok=True)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return stopped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--workdir")
    s.add_argument("--database", default="correo")
    t = sub.add_parser("stop")
    t.add_argument("--workdir", required=True)
    t.add_argument("--keep", action="store_true", help="leave the folder (data and log) in place")
    a = ap.parse_args()
    if a.cmd == "stop":
        print("postgres stopped" if stop(Path(a.workdir), a.keep) else "postgres was not running")
        return 0
    try:
        url, work = start(Path(a.workdir) if a.workdir else None, a.database)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"postgres.py: {e}", file=sys.stderr)
        return 1
    print(url, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
