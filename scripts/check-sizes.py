#!/usr/bin/env python3
"""The size gate of ARCHITECTURE.md's rules: no source file over 400 lines, no function over 100.

A file that is data rather than code (generated tables) is named in GENERATED and exempt. Functions are
found by their declaration (func, init, a computed var or subscript) and measured to their closing brace,
with braces inside string literals and comments ignored; a long function is a sign that it does several
things, so the answer is to split it, not to raise the limit.
"""

import re
import sys
from pathlib import Path

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 100
# Data written by a script, not by hand (scripts/update-public-suffix-list.py).
GENERATED = {"Sources/MailAuth/DMARC/PublicSuffixListData.swift"}

DECLARATION = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|private|fileprivate|internal|package|static|class|mutating|nonmutating|nonisolated|"
    r"override|final|convenience|required|dynamic)\s+|(?:private|fileprivate|internal|public)\(set\)\s+)*"
    r"(?:func\s|init[?!]?\s*[(<]|subscript\s*[(<]|var\s+\w+\s*:[^=]*\{\s*$)"
)


def code_only(line: str, in_block_comment: bool) -> tuple[str, bool]:
    """The line without string literals and comments; whether a /* comment is still open after it."""
    out = []
    i = 0
    in_string = False
    while i < len(line):
        pair = line[i : i + 2]
        if in_block_comment:
            if pair == "*/":
                in_block_comment = False
                i += 2
                continue
            i += 1
            continue
        if in_string:
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == '"':
                in_string = False
            i += 1
            continue
        if pair == "//":
            break
        if pair == "/*":
            in_block_comment = True
            i += 2
            continue
        if line[i] == '"':
            in_string = True
        else:
            out.append(line[i])
        i += 1
    return "".join(out), in_block_comment


def long_functions(path: Path) -> list[tuple[int, int, str]]:
    lines = path.read_text().split("\n")
    code = []
    in_comment = False
    in_multiline_string = False
    for line in lines:
        # A """ string's lines are text, not code.
        if line.count('"""') % 2 == 1:
            in_multiline_string = not in_multiline_string
            code.append("")
            continue
        if in_multiline_string:
            code.append("")
            continue
        stripped, in_comment = code_only(line, in_comment)
        code.append(stripped)
    found = []
    for start, line in enumerate(lines):
        if not DECLARATION.match(code[start]):
            continue
        depth = 0
        opened = False
        for end in range(start, len(lines)):
            for character in code[end]:
                if character == "{":
                    depth += 1
                    opened = True
                elif character == "}":
                    depth -= 1
            if opened and depth <= 0:
                length = end - start + 1
                if length > MAX_FUNCTION_LINES:
                    found.append((start + 1, length, line.strip()[:70]))
                break
            # A protocol requirement or a declaration without a body.
            if not opened and end > start + 20:
                break
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    failures = []
    for path in sorted((root / "Sources").rglob("*.swift")):
        name = str(path.relative_to(root))
        if name in GENERATED:
            continue
        count = len(path.read_text().split("\n")) - 1
        if count > MAX_FILE_LINES:
            failures.append(f"{name}: {count} lines (at most {MAX_FILE_LINES}); split it by idea")
        for line, length, text in long_functions(path):
            failures.append(f"{name}:{line}: {length}-line function (at most {MAX_FUNCTION_LINES}): {text}")
    for failure in failures:
        print(failure)
    if failures:
        print(f"check-sizes: {len(failures)} finding(s)", file=sys.stderr)
        return 1
    print("check-sizes: every source file within 400 lines, every function within 100")
    return 0


if __name__ == "__main__":
    sys.exit(main())
