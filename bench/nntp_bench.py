#!/usr/bin/env python3
"""NNTP reading, correo against INN in one run: OVER of a large group and ARTICLE of random articles.

    nntp_bench.py --correo BINARY [--articles 100000] [--random 1000] [--runs 5] [--smoke] [--json FILE]

Both servers get the same N generated articles (~20 body lines each) in the group bench.big:
- INN (a private instance, interop/nntp/inn.sh) over one connection with MODE STREAM / TAKETHIS,
  pipelined 200 at a time (INN files and indexes them as they arrive);
- correo as Maildir files written into STORAGE/news/bench.big/new/ before `correo serve` starts (the
  store's own format; feeding 100,000 articles through IHAVE one by one would take the bench's time).
  correo numbers and indexes them on the first GROUP and fills its overview cache on the first OVER;
  both are reported apart ("first GROUP", "first OVER") and are not in the medians.
Then, per server, `--runs` times: OVER 1-N on a fresh connection (whole answer read), and ARTICLE of
`--random` article numbers (the same random numbers for both, a fixed seed). Prints medians, min-max,
and correo/INN ratios of throughput (> 1 means correo is faster). --smoke: 300 articles, 50 ARTICLEs,
1 run; checks the script, measures nothing.
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "nntp"))
from servers import free_port, start_correo  # noqa: E402  (interop/nntp/servers.py)

INN_SH = os.path.join(HERE, "..", "interop", "nntp", "inn.sh")
GROUP = "bench.big"


def article(i, stamp):
    body = "\r\n".join(f"Line {n} of article {i}: the quick brown fox jumps over the lazy dog." for n in range(20))
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(stamp - 86400 + i % 86400))
    return (f"Path: origin.example.test!not-for-mail\r\nFrom: Poster {i % 97} <p{i % 97}@example.test>\r\n"
            f"Newsgroups: {GROUP}\r\nSubject: Article number {i} in the bench group\r\n"
            f"Message-ID: <bench.{i}.{stamp}@origin.example.test>\r\nDate: {date}\r\n"
            f"References: <bench.{max(1, i - 1)}.{stamp}@origin.example.test>\r\n\r\n{body}\r\n")


class Conn:
    """A reader connection. Every recv is preceded by TCP_QUICKACK: without it the client's delayed ACKs
    (40 ms) pace a server that writes in small pieces and waits for ACKs (Nagle) — nnrpd's OVER ran 10x
    slower and its one-at-a-time ARTICLE at ~21/s that way. Both servers get the same client."""

    def __init__(self, port, reader=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buffer = b""
        self.status()
        if reader:
            self.send("MODE READER")
            self.status()

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def _line(self):
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line, self.buffer = self.buffer[:end + 1], self.buffer[end + 1:]
                return line
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return b""
            self.buffer += chunk

    def status(self):
        line = self._line()
        if not line:
            raise RuntimeError("connection closed")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def data(self):
        """Reads a multi-line block; returns (lines, bytes). The status line's CRLF is put back in front,
        so the end is always CRLF "." CRLF."""
        buf = bytearray(b"\r\n" + self.buffer)  # appends in place: OVER answers run to tens of MB
        start = 0
        for _ in range(1_000_000):
            end = buf.find(b"\r\n.\r\n", start)
            if end >= 0:
                block = buf[2:end + 2]
                self.buffer = bytes(buf[end + 5:])
                return block.count(b"\r\n"), len(block)
            start = max(0, len(buf) - 4)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed in a block")
            buf += chunk
        raise RuntimeError("block too long")

    def close(self):
        try:
            self.send("QUIT")
            self.status()
        except (OSError, RuntimeError):
            pass
        self.sock.close()


def feed_inn(port, n, stamp):
    c = Conn(port, reader=False)
    c.send("MODE STREAM")
    assert c.status().startswith("203"), "INN refused MODE STREAM"
    refused = 0
    for start in range(1, n + 1, 200):
        batch = range(start, min(n, start + 199) + 1)
        out = []
        for i in batch:
            text = article(i, stamp)
            mid = f"<bench.{i}.{stamp}@origin.example.test>"
            stuffed = "\r\n".join("." + x if x.startswith(".") else x for x in text.split("\r\n")[:-1])
            out.append(f"TAKETHIS {mid}\r\n{stuffed}\r\n.\r\n")
        c.sock.sendall("".join(out).encode())
        for _ in batch:
            if not c.status().startswith("239"):
                refused += 1
    c.close()
    if refused:
        raise RuntimeError(f"INN refused {refused} articles")


def feed_correo(binary, storage, n, stamp):
    subprocess.run([binary, "group", "add", GROUP, "--description", f"The {GROUP} group", "-s", storage],
                   check=True, capture_output=True, timeout=60)
    new = os.path.join(storage, "news", GROUP, "new")
    os.makedirs(new, exist_ok=True)
    for i in range(1, n + 1):
        data = article(i, stamp).replace("\r\n", "\n").encode()
        crlf = len(data) + data.count(b"\n")
        with open(os.path.join(new, f"{stamp}.M{i:07d}P1Q{i}.bench,S={len(data)},W={crlf}"), "wb") as f:
            f.write(data)


def group(c):
    c.send(f"GROUP {GROUP}")
    s = c.status().split()
    assert s[0] == "211", s
    return int(s[1]), int(s[2]), int(s[3])


def time_over(port):
    c = Conn(port)
    _, low, high = group(c)
    t = time.monotonic()
    c.send(f"OVER {low}-{high}")
    assert c.status().startswith("224")
    lines, size = c.data()
    elapsed = time.monotonic() - t
    c.close()
    return elapsed, lines, size


def time_articles(port, picks, pipelined):
    """One at a time (send, read the whole answer, next) or pipelined (RFC 3977 §3.5: commands sent 50
    per write, then their answers read), which takes each side's Nagle/delayed-ACK stalls out. (50 a
    window: correo before 2026-12-03's nntp2 branch cut a client off after 100 queued commands.)"""
    c = Conn(port)
    _, low, high = group(c)
    chosen = [low + p % (high - low + 1) for p in picks]
    t = time.monotonic()
    got = 0
    for index, number in enumerate(chosen):
        if not pipelined:
            c.send(f"ARTICLE {number}")
        elif index % 50 == 0:
            c.sock.sendall("".join(f"ARTICLE {n}\r\n" for n in chosen[index:index + 50]).encode())
        status = c.status()
        assert status.startswith("220"), status
        c.data()
        got += 1
    elapsed = time.monotonic() - t
    c.close()
    return elapsed, got


def no_load_limit(inn_dir):
    """nnrpd refuses readers (400, then a reset) while the load average is above inn.conf's nnrpdloadlimit
    (16 in Debian's): a loaded machine made the bench fail. Each reader connection starts a new nnrpd, which
    reads inn.conf then, so changing it after innd started is enough."""
    path = os.path.join(inn_dir, "etc", "inn.conf")
    with open(path) as f:
        lines = [line for line in f if not line.startswith("nnrpdloadlimit:")]
    with open(path, "w") as f:
        f.writelines(lines + ["nnrpdloadlimit: 0\n"])


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def stop_on_sigterm():
    """SIGTERM ends the run through the `finally` blocks, so INN and correo are stopped too."""
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--correo", required=True)
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--random", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--json")
    a = p.parse_args()
    stop_on_sigterm()
    if a.smoke:
        a.articles, a.random, a.runs = 300, 50, 1
    binary = os.path.abspath(a.correo)
    root = tempfile.mkdtemp(prefix="nntp-bench-")
    os.chmod(root, 0o755)
    inn_dir, storage = os.path.join(root, "inn"), os.path.join(root, "correo")
    inn_port = free_port()
    stamp = int(time.time())
    rng = random.Random(14)
    picks = [rng.randrange(1 << 30) for _ in range(a.random)]
    result = {"articles": a.articles, "random": a.random, "runs": a.runs, "correo": binary}
    correo = None
    try:
        subprocess.run(["bash", INN_SH, "start", inn_dir, str(inn_port), GROUP], check=True, timeout=60)
        no_load_limit(inn_dir)
        t = time.monotonic()
        feed_inn(inn_port, a.articles, stamp)
        result["inn_feed_s"] = time.monotonic() - t
        t = time.monotonic()
        feed_correo(binary, storage, a.articles, stamp)
        result["correo_feed_s"] = time.monotonic() - t
        correo, correo_port = start_correo(binary, storage, (GROUP,), os.path.join(root, "correo.log"),
                                           peer=False)
        c = Conn(correo_port)
        t = time.monotonic()
        count = group(c)[0]
        result["correo_first_group_s"] = time.monotonic() - t
        c.close()
        assert count == a.articles, f"correo has {count} articles"
        result["correo_first_over_s"] = time_over(correo_port)[0]
        c = Conn(inn_port)
        assert group(c)[0] == a.articles
        c.close()
        for name, port in (("inn", inn_port), ("correo", correo_port)):
            result[f"{name}_over_s"] = []
            result[f"{name}_article_s"] = []
            result[f"{name}_pipelined_s"] = []
        for _ in range(a.runs):  # interleaved, so both see the same machine load
            for name, port in (("inn", inn_port), ("correo", correo_port)):
                elapsed, lines, size = time_over(port)
                assert lines == a.articles, f"{name}: OVER gave {lines} lines"
                result[f"{name}_over_s"].append(elapsed)
                result[f"{name}_over_bytes"] = size
                result[f"{name}_article_s"].append(time_articles(port, picks, pipelined=False)[0])
                result[f"{name}_pipelined_s"].append(time_articles(port, picks, pipelined=True)[0])
        result["correo_cpu_s"] = cpu_seconds(correo.pid)
    finally:
        if correo:
            correo.terminate()
            try:
                correo.wait(15)
            except subprocess.TimeoutExpired:
                correo.kill()
        subprocess.run(["bash", INN_SH, "stop", inn_dir], timeout=60)
        subprocess.run(["rm", "-rf", root])

    def med(k):
        v = result[k]
        return statistics.median(v), min(v), max(v)

    print(f"\nNNTP bench: {a.articles} articles in {GROUP}, ARTICLE x{a.random}, {a.runs} runs "
          f"(feed: INN TAKETHIS {result['inn_feed_s']:.1f} s, correo files {result['correo_feed_s']:.1f} s; "
          f"correo first GROUP {result['correo_first_group_s']:.2f} s, first OVER {result['correo_first_over_s']:.2f} s)")
    print(f"{'':28} {'INN':>22} {'correo':>22} {'correo/INN':>11}")
    for label, key, unit in (("OVER 1-N, lines/s", "over_s", a.articles),
                             (f"ARTICLE x{a.random}, articles/s", "article_s", a.random),
                             (f"  the same pipelined", "pipelined_s", a.random)):
        mi, lo_i, hi_i = med(f"inn_{key}")
        mc, lo_c, hi_c = med(f"correo_{key}")
        result[f"ratio_{key}"] = mi / mc
        print(f"{label:28} {unit / mi:>10.0f} ({unit / hi_i:.0f}-{unit / lo_i:.0f}) "
              f"{unit / mc:>10.0f} ({unit / hi_c:.0f}-{unit / lo_c:.0f}) {mi / mc:>10.2f}")
    print(f"OVER answer size: INN {result['inn_over_bytes']} bytes, correo {result['correo_over_bytes']} bytes")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
