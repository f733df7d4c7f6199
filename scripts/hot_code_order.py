#!/usr/bin/env python3
"""Writes lld's --symbol-ordering-file from callgrind profiles, for scripts/hot-code-order.sh.

    hot_code_order.py OUT LINK_FILE_LIST STATIC_LIB_DIR CALLGRIND_OUT...

Every function a profile saw run is listed. A process touches the pages of the functions it runs, so
they are grouped by which profiles ran them and the groups laid out so that each process's code is
one run of pages: with profiles A, B, C (smtpd, serve, imapd), A's alone, then A's and B's, then all
three, B's and C's, C's alone, and last what only B runs. In a group the most instructions come first
(a function's own and, as callgrind lists them under it, those of the calls it makes). lld moves
whole input sections: most Swift objects hold all their code in one `.text`, the static Swift and
Foundation archives one function per section, so one name per section is enough and the rest are
left out (the file stays ~160 KB instead of ~1 MB). A name found in no object (libc's, which is a
shared library) is left out too.
"""

import collections
import glob
import re
import subprocess
import sys


def profiled_functions(paths):
    """Function names, their instruction counts summed over callgrind outputs, and which outputs saw
    each run (indices into `paths`)."""
    cost, seen_in = collections.Counter(), collections.defaultdict(set)
    for index, path in enumerate(paths):
        names, current = {}, None
        with open(path, errors="replace") as profile:
            for line in profile:
                if line.startswith(("fn=", "cfn=")):
                    match = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                    if not match:
                        continue
                    if match.group(2):
                        names[match.group(1)] = re.sub(r"'\d+$", "", match.group(2))
                    if line.startswith("fn="):
                        current = names.get(match.group(1))
                        cost[current] += 0
                        seen_in[current].add(index)
                elif current and (line[:1].isdigit() or line[:1] in "+-*"):
                    fields = line.split()
                    if len(fields) >= 2 and fields[1].isdigit():
                        cost[current] += int(fields[1])
    return cost, seen_in


def group_position(profiles, count):
    """Where a group of functions goes: the first profile's own at the left end, the last's at the
    right end, what both ends run in the middle, what neither end runs after everything."""
    first, last = 0 in profiles, count - 1 in profiles
    if first and not last:
        return (0, len(profiles))
    if first and last:
        return (1, -len(profiles))
    if last:
        return (2, -len(profiles))
    return (3, len(profiles))


def sections_of(files):
    """Each function name's sections in the objects and archives the link reads: (file, index, name)."""
    where = collections.defaultdict(list)
    for start in range(0, len(files), 200):
        output = subprocess.run(["readelf", "-SsW", *files[start:start + 200]], capture_output=True,
                                text=True, errors="replace").stdout
        current, names = None, {}
        for line in output.splitlines():
            if line.startswith("File: "):
                current, names = line[6:], {}
                continue
            header = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)", line)
            if header:
                names[header.group(1)] = header.group(2)
                continue
            fields = line.split()
            if len(fields) == 8 and fields[3] == "FUNC" and fields[6].isdigit():
                where[fields[7]].append((current, fields[6], names.get(fields[6], "")))
    return where


def orderable(sections):
    """A local name defined in several objects' shared `.text` would pull every one of those whole
    files forward (lld orders each file's symbol of that name): left to its default place."""
    return len(sections) == 1 or all(name != ".text" for _, _, name in sections)


def main():
    out, link_file_list, static_dir, *profiles = sys.argv[1:]
    cost, seen_in = profiled_functions(profiles)
    with open(link_file_list) as listing:
        objects = [line.strip().strip("'\"") for line in listing if line.strip()]
    where = sections_of(objects + sorted(glob.glob(static_dir + "/*.a")))
    placed, names = set(), []
    def position(item):
        return (group_position(seen_in[item[0]], len(profiles)), -item[1], item[0] or "")

    for name, _ in sorted(cost.items(), key=position):
        defined = where.get(name, [])
        sections = [section for section in defined if section not in placed]
        if name and sections and orderable(defined):
            placed.update(sections)
            names.append(name)
    with open(out, "w") as order:
        order.write("".join(name + "\n" for name in names))
    print(f"{len(cost)} functions ran; {len(names)} names place their sections in {out}")


if __name__ == "__main__":
    main()
