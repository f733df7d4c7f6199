#!/usr/bin/env bash
# The lint gate: `swift format lint --strict` (the rules in .swift-format) over the folders that are
# clean. A folder joins the list once it reaches zero findings and never leaves it; the list grows
# until it is all of Sources and Tests (issue 11). `scripts/lint.sh --all` lints everything and
# reports the count per folder, for the work still to do.
set -euo pipefail
cd "$(dirname "$0")/.."
clean=(
    Sources/CCrypt Sources/DNS Sources/HTTPServer Sources/IMAPServer Sources/MailAuth Sources/MailCore
    Sources/MailMerge Sources/MailStore Sources/SMTPClient Sources/SMTPCore Sources/ServerSupport
    Tests/IMAPServerTests Tests/MailStoreTests Tests/MailTestSupport Tests/SMTPClientTests
    Tests/SMTPCoreTests Tests/ServerSupportTests
)
if [[ "${1:-}" == "--all" ]]; then
    for folder in Sources/* Tests/*; do
        printf '%-28s %s\n' "$folder" "$(swift format lint --strict -r "$folder" 2>&1 | grep -c ': error:' || true)"
    done
    exit 0
fi
for folder in "${clean[@]}"; do
    # swift format exits 0 on a path that does not exist: a renamed folder must not pass silently.
    [[ -d "$folder" ]] || { echo "lint: $folder does not exist; update scripts/lint.sh" >&2; exit 1; }
done
swift format lint --strict --parallel -r "${clean[@]}"
echo "lint: ${#clean[@]} folders clean"
