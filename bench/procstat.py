"""CPU time and memory of a server's process tree, read from /proc.

A server is a root process and all its descendants (Postfix: master + smtpd + cleanup + qmgr + virtual…;
Dovecot: dovecot + imap-login + imap + auth…; correo: one process).

CPU seconds: the sum over the live tree of utime+stime+cutime+cstime. Children reaped by a process in the
tree move their time into that process's cutime/cstime, so the sum only grows and the difference between two
readings is the CPU the tree used in between, including processes that started and ended in between.

Memory: every `interval` seconds a thread sums Rss and Pss (from /proc/PID/smaps_rollup) over the tree
and keeps the peak. Pss shares each shared page among the processes mapping it, so the sum of Pss is the
memory the tree really costs; the sum of Rss counts shared pages (libraries, Postfix's and Dovecot's
shared code) once per process.
"""

import os
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    rest = data[data.rindex(b")") + 2 :].split()
    return rest  # rest[0] is the state (field 3); rest[1] the ppid (field 4)


def process_tree(root):
    """The root and every descendant that is alive now."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def cpu_seconds(root):
    """utime+stime+cutime+cstime summed over the live tree, in seconds."""
    ticks = 0
    for pid in process_tree(root):
        try:
            f = _stat_fields(pid)
            # Fields 14..17 (utime, stime, cutime, cstime) are rest[11..14].
            ticks += sum(int(x) for x in f[11:15])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / CLOCK_TICKS


def memory_kb(root):
    """(Rss, Pss, number of processes) of the live tree, in KiB."""
    rss = pss = n = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith(b"Pss:"):
                        pss += int(line.split()[1])
            n += 1
        except (OSError, ValueError):
            continue
    return rss, pss, n


class TreeSampler:
    """Samples the tree's memory every `interval` seconds in a thread; keeps the peaks and CPU delta."""

    def __init__(self, root, interval=0.1):
        self.root = root
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_processes = 0
        self.last = (0, 0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.cpu_start = None
        self.cpu_s = None

    def _sample(self):
        rss, pss, n = memory_kb(self.root)
        self.last = (rss, pss, n)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peak_processes = max(self.peak_processes, n)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self.cpu_start = cpu_seconds(self.root)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.cpu_s = round(cpu_seconds(self.root) - self.cpu_start, 3)
        return False

    def summary(self):
        return {
            "server_cpu_s": self.cpu_s,
            "server_peak_rss_kb": self.peak_rss_kb,
            "server_peak_pss_kb": self.peak_pss_kb,
            "server_processes": self.peak_processes,
        }


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]
