#!/usr/bin/env bash
# The fast TLS check CI runs (seconds, where interop/tls/audit.sh takes minutes): starts `correo serve`
# with an RSA certificate (so that RSA key exchange and CBC suites could be chosen if they were
# enabled) and, with `openssl s_client`, checks on the implicit-TLS listeners (SMTPS, IMAPS) and the
# STARTTLS ones (SMTP, submission, IMAP) that TLS 1.0 and 1.1 are refused, TLS 1.2 and 1.3 accepted, and a
# CBC suite and a suite without forward secrecy refused.
# Usage: interop/tls/check.sh [path/to/correo] [extra correo serve options, e.g. --tls-ciphers …]
set -euo pipefail
binary=$(realpath "${1:-.build/release/correo}")
shift || true
scratch=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$scratch"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$scratch/key.pem" -out "$scratch/cert.pem" -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
ports=(--smtp-port 0 --submission-port 0 --smtps-port 0 --imap-port 0 --imaps-port 0)
common=$(cd "$(dirname "${BASH_SOURCE[0]}")/../common" && pwd)
free_port() { python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import netutil; print(netutil.free_port())' "$common"; }
smtps=$(free_port); imaps=$(free_port); submission=$(free_port); imap=$(free_port); smtp=$(free_port)
"$binary" serve -s "$scratch/mail" --bind 127.0.0.1 --cert "$scratch/cert.pem" --key "$scratch/key.pem" \
  "${ports[@]}" --smtps-port "$smtps" --imaps-port "$imaps" --submission-port "$submission" --imap-port "$imap" \
  --smtp-port "$smtp" \
  "$@" >"$scratch/serve.log" 2>&1 &
pid=$!
for port in "$smtps" "$imaps" "$submission" "$imap" "$smtp"; do
  for _ in $(seq 1 100); do
    grep -q "pid=$pid," <<<"$(ss -ltnpH "sport = :$port" 2>/dev/null)" && break  # ours, not another server
    sleep 0.1
  done
done

failures=0
# handshake NAME PORT STARTTLS(-|smtp|imap) EXPECT(accept|refuse) OPENSSL-OPTIONS…
handshake() {
  local name=$1 port=$2 starttls=$3 expect=$4
  shift 4
  local args=(-connect "127.0.0.1:$port" -servername localhost "$@")
  [ "$starttls" != - ] && args+=(-starttls "$starttls")
  local output
  # SECLEVEL=0 lets this client offer what it is asked to (TLS 1.0, SHA-1 suites): refusals are the server's.
  output=$(echo Q | timeout 20 openssl s_client "${args[@]}" 2>&1 </dev/null || true)
  local got=refuse
  grep -qE "^ *(Protocol|New), *(TLSv1|SSLv3)" <<<"$output" && grep -qE "Cipher (is|    :) [A-Z0-9_-]+$" <<<"$output" \
    && ! grep -q "Cipher is (NONE)" <<<"$output" && got=accept
  if [ "$got" = "$expect" ]; then
    echo "ok   $name: $* → $expect"
  else
    echo "FAIL $name: $* → $got, expected $expect" >&2
    grep -E "alert|error|Protocol|Cipher" <<<"$output" | head -5 >&2
    failures=$((failures + 1))
  fi
}

for listener in "smtps $smtps -" "imaps $imaps -" "submission $submission smtp" "smtp $smtp smtp" "imap $imap imap"; do
  read -r name port starttls <<<"$listener"
  handshake "$name" "$port" "$starttls" refuse -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
  handshake "$name" "$port" "$starttls" refuse -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
  handshake "$name" "$port" "$starttls" accept -tls1_2
  handshake "$name" "$port" "$starttls" accept -tls1_3
  handshake "$name" "$port" "$starttls" refuse -tls1_2 -cipher 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'
  handshake "$name" "$port" "$starttls" refuse -tls1_2 -cipher 'AES128-GCM-SHA256:@SECLEVEL=0'
done
if [ "$failures" -gt 0 ]; then
  echo "TLS check: $failures failure(s)" >&2
  exit 1
fi
echo "TLS check passed: TLS 1.0/1.1, CBC and non-forward-secret suites refused; TLS 1.2 and 1.3 accepted"
