#!/usr/bin/env python3
"""Real Thunderbird reads a `correo serve --dev` mailbox, logged in as the recipient's address.

    thunderbird_dev_mailbox.py CORREO_BINARY

Issue 17's IMAP client check ("read the same message ... in Thunderbird (Xvfb)"):

1. `correo serve --dev` on free loopback ports, its own storage folder (interop/dev/test_dev_api.py's
   DevServer);
2. smtplib sends a message to qa@customer.example, and the API's wait sees it arrive;
3. Thunderbird on a fresh profile, on an Xvfb display of its own (`Xvfb -displayfd`), driven over
   Marionette (thunderbird_autoconfig.py's client): in its chrome an IMAP account is made for
   qa@customer.example on the dev IMAP port with any password (plain IMAP, which --dev allows), its
   INBOX is brought up to date over IMAP (`getNewMessages`, as Get Messages does), and the message
   headers Thunderbird then holds are read back.

Prints one PASS/FAIL line per check and `thunderbird-dev-mailbox: ok`; exit status 1 on a failure,
2 when Thunderbird or Xvfb is not installed (scripts/install-test-deps.sh installs both).
Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "dev"))
from thunderbird_autoconfig import (  # noqa: E402
    check, free_port, quit_thunderbird, start_thunderbird, stop, summary)

RECIPIENT = "qa@customer.example"
SUBJECT = "Your order 4711 has shipped"

# Runs in Thunderbird's chrome: an IMAP account as the account manager makes one, then its INBOX fetched
# over IMAP and the headers Thunderbird stored listed.
SCRIPT = r"""
const [port, address, resolve] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
(async () => {
  const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
  const server = MailServices.accounts.createIncomingServer(address, "127.0.0.1", "imap");
  server.port = port;
  server.socketType = Ci.nsMsgSocketType.plain;
  server.authMethod = Ci.nsMsgAuthMethod.passwordCleartext;
  server.password = "any password will do";
  const account = MailServices.accounts.createAccount();
  account.incomingServer = server;
  const identity = MailServices.accounts.createIdentity();
  identity.email = address;
  account.addIdentity(identity);
  const inbox = server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox)
    || server.rootFolder.getChildNamed("INBOX");
  const status = await new Promise(done => inbox.getNewMessages(null, {
    QueryInterface: ChromeUtils.generateQI(["nsIUrlListener"]),
    OnStartRunningUrl() {},
    OnStopRunningUrl(url, code) { done(code); },
  }));
  const messages = [];
  for (const header of inbox.messages) {
    messages.push({ subject: header.mime2DecodedSubject, author: header.mime2DecodedAuthor,
                    recipients: header.mime2DecodedRecipients, messageId: header.messageId });
  }
  resolve(JSON.stringify({ status, username: server.username, messages }));
})().catch(e => resolve(JSON.stringify({ error: String(e) })));
"""


def start_xvfb(work: Path) -> tuple[subprocess.Popen, str]:
    """An Xvfb on a display number it picks itself (-displayfd), so parallel runs never clash."""
    read, write = os.pipe()
    log = open(work / "xvfb.log", "wb")
    process = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                               pass_fds=(write,), stdout=log, stderr=log)
    os.close(write)
    number = b""
    with os.fdopen(read, "rb") as pipe:
        # Xvfb writes the number and a newline once it accepts clients; EOF means it died.
        while not number.endswith(b"\n"):
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip():
        process.kill()
        raise RuntimeError("Xvfb did not start: " + (work / "xvfb.log").read_text(errors="replace"))
    return process, ":" + number.decode().strip()


def run(binary: str) -> int:
    os.environ["CORREO_BINARY"] = binary
    from test_dev_api import DevServer  # noqa: E402 (reads CORREO_BINARY when imported)

    work = Path(tempfile.mkdtemp(prefix="correo-tb-dev-"))
    processes: list[subprocess.Popen] = []
    server = DevServer()
    try:
        message = EmailMessage()
        message["From"] = "Shop <orders@shop.example>"
        message["To"] = RECIPIENT
        message["Subject"] = SUBJECT
        message["Message-ID"] = "<order-4711@shop.example>"
        message.set_content("Your parcel is on its way.\n")
        with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as smtp:
            smtp.send_message(message)
        arrived = server.wait_for(timeout=20, to=RECIPIENT)
        check("the message is captured (API wait)", arrived is not None and arrived.get("subject") == SUBJECT, arrived)

        xvfb, display = start_xvfb(work)
        processes.append(xvfb)
        marionette = start_thunderbird(work, processes, free_port(), {
            "mail.startup.enabledMailCheckOnce": True,
            "mail.spotlight.firstRunDone": True,
            "mail.server.default.check_new_mail": False,
        }, display=display)
        answer = marionette.command("WebDriver:ExecuteAsyncScript",
                                    {"script": SCRIPT, "args": [server.imap, RECIPIENT], "scriptTimeout": 90000})
        result = json.loads(answer["value"] if isinstance(answer, dict) else answer)
        print(f"  thunderbird holds: {json.dumps(result)}", flush=True)
        check("Thunderbird logged in over IMAP as the recipient and updated INBOX",
              "error" not in result and result.get("status") == 0 and result.get("username") == RECIPIENT, result)
        seen = [m for m in result.get("messages", []) if m.get("messageId") == "order-4711@shop.example"]
        check("Thunderbird shows the message sent with smtplib", len(seen) == 1, result.get("messages"))
        if seen:
            check("with its subject, sender and recipient",
                  seen[0]["subject"] == SUBJECT and "orders@shop.example" in seen[0]["author"]
                  and RECIPIENT in seen[0]["recipients"], seen[0])
        quit_thunderbird(marionette)
    finally:
        (work / "correo.log").write_text(server.output())
        server.stop()
        stop(processes, work)
    return summary("thunderbird-dev-mailbox")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [name for name in ("thunderbird", "Xvfb") if shutil.which(name) is None]
    if missing:
        print(f"{' and '.join(missing)} not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    return run(str(Path(sys.argv[1]).resolve()))


if __name__ == "__main__":
    sys.exit(main())
