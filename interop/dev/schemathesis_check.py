#!/usr/bin/env python3
"""schemathesis (PyPI) against the OpenAPI document that `correo serve --dev` serves: every operation
fuzzed from its schema, stateful runs through the document's links, with three captured messages in
the store. Left out: /api/events (an endless stream), /api/messages/wait (a long-poll holds each
random request for up to its timeout) and PUT /api/faults (its body is a small language, SMTPFault's
lines, whose validity no JSON schema can state: every random string would be "valid" and refused);
test_dev_api.py and DevAPITests cover all three.

Run: CORREO_BINARY=.build/debug/correo python3 interop/dev/schemathesis_check.py
Exits 0 when schemathesis finds no failure.
"""
import os
import shutil
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_dev_api import HOST, DevServer, signup_mail  # noqa: E402


def main():
    command = shutil.which("schemathesis") or shutil.which("st")
    if command is None:
        print("schemathesis is not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    server = DevServer()
    try:
        for n in range(3):
            with smtplib.SMTP(HOST, server.smtp, timeout=30) as smtp:
                smtp.send_message(signup_mail("fuzz%d@customer.example" % n))
        run = subprocess.run(
            [command, "run", server.url("/api/openapi.json"),
             "--exclude-path", "/api/events", "--exclude-path", "/api/messages/wait",
             "--exclude-operation-id", "replaceFaults",
             "--max-examples", "50", "--request-timeout", "10", "--workers", "1", "--seed", "1"],
            # Its cache folder (.schemathesis/) goes with the server's temporary folder, not the checkout.
            stdin=subprocess.DEVNULL, timeout=600, cwd=server.storage)
        return run.returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
