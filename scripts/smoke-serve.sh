#!/usr/bin/env bash
# Starts `correo serve` on its embedded defaults in a scratch folder and checks that every listener
# answers: SMTP 2525 and submission 2587 greet with 220, IMAP 1143 with * OK, NNTP 1119 with 200, and the
# implicit-TLS ports 2465, 1993 and 1563 complete a TLS handshake with the generated certificate. First it
# checks that the binary loads no shared Swift library and that its code was linked in the profiled order.
set -euo pipefail
binary=$(realpath "${1:-.build/release/correo}")

# The release binary carries the Swift runtime and Foundation (Package.swift's releaseLinking), so a host
# without a Swift toolchain runs it: it must not ask the loader for any of their shared libraries.
if runtime=$(ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime'); then
  echo "the release binary still loads shared Swift libraries:" >&2; echo "$runtime" >&2; exit 1
fi
echo "the binary needs no Swift shared library: $(ldd "$binary" | awk '{print $1}' | tr '\n' ' ')"

# Its code follows Sources/correo/hot-code.order (Package.swift's releaseLinking): the first function
# listed sits at the start of .text, where a link without the order leaves it megabytes away.
order=$(dirname "$0")/../Sources/correo/hot-code.order
first=$(head -n 1 "$order")
text=$(readelf -SW "$binary" | awk '{ for (i = 1; i <= NF; i++) if ($i == ".text") print $(i + 2) }')
at=$(nm "$binary" | awk -v name="$first" '$3 == name && !found { print $1; found = 1 }')
if [ -z "$at" ] || (( 0x$at - 0x$text > 1048576 )); then
  echo "the release binary's code is not in hot-code.order's order ($first at ${at:-nowhere})" >&2; exit 1
fi
echo "the code follows hot-code.order: $first at .text + $(( 0x$at - 0x$text )) bytes"
scratch=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
cd "$scratch"
"$binary" serve >serve.log 2>&1 &
pid=$!

greeting() {  # port expected-prefix
  for _ in $(seq 1 100); do
    if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
      local line
      IFS= read -r -t 5 line <&3 || true
      exec 3>&-
      case "$line" in "$2"*) echo "port $1: $line"; return 0 ;; esac
      echo "port $1 answered: $line" >&2; return 1
    fi
    sleep 0.1
  done
  echo "port $1: no answer" >&2; cat serve.log >&2; return 1
}

greeting 2525 "220 "
greeting 2587 "220 "
greeting 1143 "* OK"
greeting 1119 "200 "
for port in 2465 1993 1563; do
  echo | openssl s_client -connect "127.0.0.1:$port" -CAfile mail/tls/cert.pem -verify_return_error -brief 2>&1 \
    | grep -q "Verification: OK" || { echo "port $port: TLS handshake failed" >&2; cat serve.log >&2; exit 1; }
  echo "port $port: TLS verified against mail/tls/cert.pem"
done
echo "smoke test passed"
