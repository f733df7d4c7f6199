#!/usr/bin/env python3
"""Names the tests a `swift test` log shows started and never ended (passed or failed).

.ci/run prints them when the suite outlives its bound: a hung test is then named in the log instead of
the run ending at CI's own limit with nothing to go on. Swift Testing prints "◇ Test NAME started." and
"✔ Test NAME ... passed" / "✘ Test NAME ... failed"; the same name in two suites is counted twice. A test whose end line was lost in the interleaved
output is listed too: the names are where to look, not a verdict.
"""
import collections
import re
import sys


def unfinished(lines):
    started, ended = collections.Counter(), collections.Counter()
    for line in lines:
        # Two events may share a line when the test's own output interleaves with Swift Testing's.
        for match in re.finditer(r"◇ Test (\S+\(.*?\)) started", line):
            started[match.group(1)] += 1
        for match in re.finditer(r"[✔✘] Test (\S+\(.*?\)) .*?(passed|failed)", line):
            ended[match.group(1)] += 1
    return sorted(name for name in started if started[name] > ended[name])


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        names = unfinished(log)
    print(f"tests started and not ended: {len(names)}")
    for name in names:
        print("  " + name)
