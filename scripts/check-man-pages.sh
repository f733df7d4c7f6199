#!/usr/bin/env bash
# Generates the man pages (one per subcommand) from the argument parser with swift-argument-parser's
# generate-manual plugin, and fails when they differ from contrib/man/: CI runs it to tell that the
# committed pages are current. `--update` copies the generated pages into contrib/man/ instead.
# The date is fixed, so that a page changes only when a command's options or help do.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=check
[[ "${1:-}" == "--update" ]] && mode=update

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Debug: the build CI and the tests already made, so only what changed is compiled again.
if ! swift package --disable-sandbox plugin generate-manual --configuration debug \
    --multi-page --date 2026-01-01 --authors "the correo authors" >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-man-pages: the generate-manual plugin failed" >&2
    exit 1
fi
# The plugin prints "Generated manual in '<folder>'" (a file:// URL) for each executable.
generated=$(sed -n "s/^Generated manual in '\(.*\)'$/\1/p" "$log" | grep '/correo/\?$' | head -n 1)
generated=${generated#file://}
generated=${generated%/}
if [[ -z "$generated" || ! -d "$generated" ]]; then
    cat "$log" >&2
    echo "check-man-pages: no generated pages found in the plugin's output" >&2
    exit 1
fi

if [[ "$mode" == update ]]; then
    rm -f contrib/man/*.1
    cp "$generated"/*.1 contrib/man/
    echo "contrib/man: $(ls contrib/man/*.1 | wc -l) pages written"
    exit 0
fi

if ! diff -r -u contrib/man "$generated" >&2; then
    echo "check-man-pages: contrib/man/ is not current; run scripts/check-man-pages.sh --update and commit" >&2
    exit 1
fi
echo "contrib/man: $(ls contrib/man/*.1 | wc -l) pages current"
