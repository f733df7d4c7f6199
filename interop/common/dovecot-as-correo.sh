#!/usr/bin/env bash
# Stands in for a correo binary in harness self-tests: `dovecot-as-correo.sh imapd -s
# STORAGE -p PORT [--imaps-port N] [--allow-plaintext-auth]` runs the private Dovecot
# in the foreground with correo's imapd flags, so run-all.sh's correo path (start,
# wait for the port, test, stop) can be exercised before correo's IMAP exists.
set -euo pipefail
[ "${1:-}" = imapd ] || { echo "dovecot-as-correo: only 'imapd' is available" >&2; exit 64; }
shift
storage="" port="" imaps=0
while [ $# -gt 0 ]; do
    case "$1" in
        -s|--storage) storage=$2; shift ;;
        -p|--port|--imap-port) port=$2; shift ;;
        --imaps-port) imaps=$2; shift ;;
        --allow-plaintext-auth) ;;
        *) echo "dovecot-as-correo: unknown option $1" >&2; exit 64 ;;
    esac
    shift
done
exec python3 "$(dirname "${BASH_SOURCE[0]}")/dovecot.py" run -s "$storage" -p "$port" --imaps-port "$imaps"
