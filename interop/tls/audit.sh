#!/usr/bin/env bash
# TLS audit of every correo listener with testssl.sh (Debian package `testssl.sh`, command `testssl`):
# starts `correo serve` on a scratch storage folder with its generated certificate and its default TLS
# settings (or the --tls-… options given after the binary), then runs testssl on SMTPS 2465, IMAPS
# 1993, SMTP STARTTLS 2525 and 2587, and IMAP STARTTLS 1143. Each run is limited to what matters for
# a mail server (protocols, cipher categories, forward secrecy, server preferences, the vulnerability
# checks: Heartbleed, CCS, ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, SWEET32, FREAK,
# DROWN, LOGJAM, BEAST, LUCKY13, RC4…) and takes a minute or two. Output goes to
# interop/tls/results/NAME.log (plain text) and NAME.json; the last lines print a one-line verdict per
# listener. Usage: interop/tls/audit.sh [path/to/correo] [extra correo serve options…]
# AUDIT_ONLY="smtps imaps" limits the listeners; AUDIT_TAG=rsa appends "-rsa" to the result names
# (e.g. for a run with --cert/--key of an RSA certificate).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$(realpath "${1:-$here/../../.build/release/correo}")
shift || true
command -v testssl >/dev/null || { echo "testssl not found: apt-get install testssl.sh" >&2; exit 1; }
results="$here/results"
mkdir -p "$results"
scratch=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$scratch"' EXIT

"$binary" serve -s "$scratch/mail" --bind 127.0.0.1 "$@" >"$scratch/serve.log" 2>&1 &
pid=$!
for port in 2465 1993 2525 2587 1143; do
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

listeners=(
  "smtps 2465"
  "imaps 1993"
  "smtp-starttls-2525 2525 smtp"
  "submission-starttls-2587 2587 smtp"
  "imap-starttls-1143 1143 imap"
)
for entry in "${listeners[@]}"; do
  read -r name port starttls <<<"$entry"
  if [ -n "${AUDIT_ONLY:-}" ] && ! grep -qw "$name" <<<"$AUDIT_ONLY"; then continue; fi
  name="$name${AUDIT_TAG:+-$AUDIT_TAG}"
  args=(--quiet --color 0 --warnings batch --ip one --openssl-timeout 10 --connect-timeout 10 -p -s -f -P -U)
  [ -n "${starttls:-}" ] && args+=(--starttls "$starttls")
  rm -f "$results/$name.log" "$results/$name.json"
  echo "==> $name (127.0.0.1:$port${starttls:+, STARTTLS $starttls})"
  testssl "${args[@]}" --logfile "$results/$name.log" --jsonfile "$results/$name.json" "127.0.0.1:$port" \
    >/dev/null 2>&1 || true
  # testssl rates each finding; anything at LOW or worse is worth a look. Left out: the self-signed
  # certificate's trust (expected), and engine_problem (this machine's openssl has no GOST engine).
  python3 - "$results/$name.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
bad = [f for f in findings if f.get("severity") in ("LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN")
       and f["id"] not in ("cert_chain_of_trust", "cert_trust", "scanProblem", "engine_problem")]
offered = [f["id"] for f in findings if f["id"] in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3")
           and f["finding"].startswith("offered")]
print(f"    protocols offered: {', '.join(offered) or 'none'}")
for f in bad:
    print(f"    {f['severity']}: {f['id']}: {f['finding']}")
print("    verdict: " + ("clean" if not bad else f"{len(bad)} finding(s)"))
PY
done
