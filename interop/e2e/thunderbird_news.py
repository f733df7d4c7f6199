#!/usr/bin/env python3
"""Real Thunderbird with a news account reads a group from `correo serve` and posts to it.

    thunderbird_news.py CORREO_BINARY

Issue 14's Thunderbird check. Steps:

1. `correo group add test.thunderbird`, then `correo serve` on 127.0.0.1 with NNTP and NNTPS on free ports,
   a certificate for mail.b.test from a test CA (thunderbird_autoconfig.py's), and three articles fed with
   IHAVE (nntplib, `--nntp-peer 127.0.0.1`), article 1's body holding a marker;
2. Thunderbird with a fresh profile (as thunderbird_autoconfig.py) on an Xvfb display of its own (as
   thunderbird_dev_mailbox.py: the main window, folder pane and message pane really drawn, not
   `--headless`), every name resolving to 127.0.0.1, the test CA trusted;
3. over Marionette, in Thunderbird's chrome, what *Add Other Account… → Newsgroup account* and
   *Subscribe…* do: a news server (`nntp`, mail.b.test, SSL/TLS) on correo's NNTPS port and an account
   for it, the group subscribed (`nsINntpIncomingServer.subscribeToNewsgroup`), its headers downloaded
   (`getNewMessages`, Thunderbird's own NNTP client: MODE READER, GROUP, XOVER); then, in the main
   window, the group shown in the thread pane (its Subjects and senders) and article 1 selected, its
   body fetched (ARTICLE) and shown in the message pane;
4. Alice's identity and credentials on the account, then a new article and a follow-up to article 1
   sent the way the compose window's Send does (nsIMsgSend: AUTHINFO after correo's 480, POST), both
   read back with nntplib (Subject, References, text, the injection fields);
5. correo's log shows the sessions were NNTPS with TLS.

Prints one PASS/FAIL line per check and `thunderbird-news: ok`; exit status 1 on a failure, 2 when
Thunderbird or Xvfb is not installed (scripts/install-test-deps.sh installs both). Every wait is bounded.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import thunderbird_autoconfig as harness  # noqa: E402  (Marionette, check, the profile)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import netutil  # noqa: E402  (free ports, and a wait for one that stops when the server exits)
from thunderbird_dev_mailbox import start_xvfb  # noqa: E402  (an Xvfb on a display it picks itself)

warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib  # noqa: E402

GROUP = "test.thunderbird"
# A loaded CI machine (the whole suite in parallel on two cores) once kept the greeting past 10 s.
NNTP_TIMEOUT = 60

# Runs in Thunderbird's chrome: the news account as the account wizard creates it, the subscription as
# the Subscribe dialogue makes it, the header download as selecting the folder starts it, and the
# article as the message pane loads it (streamMessage).
SCRIPT = r"""
const [caBase64, port, group, marker] = arguments;
const resolve = arguments[arguments.length - 1];
// Polls `probe` every 200 ms, at most 20 s, until it returns something true.
const until = async (probe) => {
  for (let i = 0; i < 100; i++) {
    const value = probe();
    if (value) return value;
    await new Promise(r => setTimeout(r, 200));
  }
  return null;
};
(async () => {
  const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
  const { setTimeout } = ChromeUtils.importESModule("resource://gre/modules/Timer.sys.mjs");
  globalThis.setTimeout = setTimeout;
  const certdb = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
  certdb.addCertFromBase64(caBase64, "C,,");
  const server = MailServices.accounts.createIncomingServer(null, "mail.b.test", "nntp");
  server.port = port;
  server.socketType = Ci.nsMsgSocketType.SSL;
  const account = MailServices.accounts.createAccount();
  account.incomingServer = server;
  const news = server.QueryInterface(Ci.nsINntpIncomingServer);
  news.subscribeToNewsgroup(group);
  const folder = server.rootFolder.getChildNamed(group);
  await new Promise((done, fail) => folder.getNewMessages(null, {
    OnStartRunningUrl() {},
    OnStopRunningUrl(url, status) { status == 0 ? done() : fail(new Error("getNewMessages: " + status)); },
  }));
  const stored = [...folder.msgDatabase.enumerateMessages()].map(h => ({
    key: h.messageKey, subject: h.mime2DecodedSubject, author: h.mime2DecodedAuthor, id: h.messageId,
    lines: h.lineCount,
  }));
  // The main window's folder pane and thread pane, as a user clicking the group sees them.
  const about3Pane = Services.wm.getMostRecentWindow("mail:3pane").gTabmail.currentAbout3Pane;
  about3Pane.displayFolder(folder.URI);
  const view = await until(() => about3Pane.gDBView?.rowCount >= 3 && about3Pane.gDBView);
  if (!view) throw new Error("the thread pane shows no articles");
  const rows = [];
  for (let i = 0; i < view.rowCount; i++) {
    rows.push({ subject: view.cellTextForColumn(i, "subjectCol"), sender: view.cellTextForColumn(i, "senderCol") });
  }
  about3Pane.threadTree.selectedIndex = rows.findIndex(r => r.subject == "Article 1 for Thunderbird");
  const pane = await until(() => {
    try {
      const text = about3Pane.messageBrowser.contentWindow.getMessagePaneBrowser().contentDocument.body.textContent;
      return text.includes(marker) && text;
    } catch (e) {
      return null;
    }
  });
  resolve(JSON.stringify({ subscribed: news.containsNewsgroup(group), folder: folder.name, stored, rows, pane }));
})().catch(e => resolve(JSON.stringify({ error: String(e) + " " + (e.stack || "") })));
"""


# Runs in Thunderbird's chrome after SCRIPT: Alice's identity on the news account (no copy to a Sent
# folder: the account has none), her credentials on the server's folder (what Thunderbird's password
# prompt fills in: AUTHINFO when correo answers POST with 480), then a new article and a follow-up to
# article 1 sent with nsIMsgSend, what the compose window's Send calls. The compose window of a reply
# to the group would fill References from article 1; here the fields are given as it would fill them.
POST_SCRIPT = r"""
const [group, user, password, marker] = arguments;
const resolve = arguments[arguments.length - 1];
(async () => {
  const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
  const server = MailServices.accounts.allServers.find(s => s.type == "nntp");
  const account = MailServices.accounts.findAccountForServer(server);
  const identity = MailServices.accounts.createIdentity();
  identity.email = "alice@example.test";
  identity.fullName = "Alice";
  identity.doFcc = false;
  account.addIdentity(identity);
  const root = server.rootFolder.QueryInterface(Ci.nsIMsgNewsFolder);
  root.groupUsername = user;
  root.groupPassword = password;
  const post = (subject, references, type) => new Promise(done => {
    const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
    fields.newsgroups = group;
    fields.subject = subject;
    fields.references = references;
    fields.from = "Alice <alice@example.test>";
    const send = Cc["@mozilla.org/messengercompose/send;1"].createInstance(Ci.nsIMsgSend);
    send.createAndSendMessage(null, identity, account.key, fields, false, false, Ci.nsIMsgSend.nsMsgDeliverNow,
      null, "text/plain", `Written in Thunderbird: ${marker}\r\n`, null, null, {
        QueryInterface: ChromeUtils.generateQI(["nsIMsgSendListener"]),
        onStartSending() {}, onProgress() {}, onStatus() {}, onGetDraftFolderURI() {}, onTransportSecurityError() {},
        onSendNotPerformed(id, status) { done("not performed: " + status); },
        onStopSending(id, status) { done(status); },
      }, null, null, type);
  });
  const posted = await post(`New from Thunderbird ${marker}`, "", Ci.nsIMsgCompType.NewsPost);
  const followedUp = await post("Re: Article 1 for Thunderbird", `<${marker}.1@example.test>`,
    Ci.nsIMsgCompType.ReplyToGroup);
  resolve(JSON.stringify({ posted, followedUp }));
})().catch(e => resolve(JSON.stringify({ error: String(e) + " " + (e.stack || "") })));
"""


def feed(port: int, marker: str) -> None:
    """Three articles into GROUP with IHAVE (correo runs with --nntp-peer 127.0.0.1)."""
    s = nntplib.NNTP("127.0.0.1", port, readermode=False, timeout=NNTP_TIMEOUT)
    for k in range(1, 4):
        mid = f"<{marker}.{k}@example.test>"
        lines = ["Path: origin.example.test!not-for-mail", "From: Alice <alice@example.test>",
                 f"Newsgroups: {GROUP}", f"Subject: Article {k} for Thunderbird", f"Message-ID: {mid}",
                 "Date: " + email.utils.formatdate(usegmt=True), "",
                 f"The body of article {k}: {marker if k == 1 else 'plain'}.", "Second line."]
        s.ihave(mid, [x.encode() for x in lines])
    s.quit()


def check_posts(port: int, marker: str) -> None:
    """Thunderbird's new article and follow-up, read back with nntplib."""
    s = nntplib.NNTP("127.0.0.1", port, timeout=NNTP_TIMEOUT)
    _, _, first, last, _ = s.group(GROUP)
    _, over = s.over((first, last))
    by_subject = {fields["subject"]: (number, fields) for number, fields in over}
    new = by_subject.get(f"New from Thunderbird {marker}")
    follow = by_subject.get("Re: Article 1 for Thunderbird")
    harness.check("the new article is in the group, with no References",
                  new is not None and not new[1]["references"].strip(), sorted(by_subject))
    harness.check("the follow-up is in the group, threaded under article 1 (References)",
                  follow is not None and follow[1]["references"].split()[-1:] == [f"<{marker}.1@example.test>"],
                  follow)
    for found, what in ((new, "new article"), (follow, "follow-up")):
        text = b"\n".join(s.article(found[0])[1].lines).decode(errors="replace") if found else ""
        harness.check(f"the {what}: Thunderbird's text, injected for alice (Path .POSTED, Injection-Info)",
                      f"Written in Thunderbird: {marker}" in text and "!.POSTED" in text
                      and 'posting-account="alice@example.test"' in text, text[:600])
    s.quit()


def start_correo(binary: str, storage: Path, cert: Path, key: Path, log: Path,
                 processes: list[subprocess.Popen]) -> tuple[int, int] | None:
    """correo serve with NNTP and NNTPS on free ports; the ports, or None when it does not listen.

    A port free when drawn can still be taken before correo binds it (netutil draws below the
    kernel's ephemeral range, so only a program binding that very port): correo then exits saying so,
    and new ports are drawn, 3 tries.
    """
    for _ in range(3):
        port, tls_port = harness.free_port(), harness.free_port()
        with open(log, "ab") as output:
            process = subprocess.Popen(
                [binary, "serve", "-s", str(storage), "--hostname", "mail.b.test", "--cert", str(cert),
                 "--key", str(key), "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port", "0",
                 "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", str(port),
                 "--nntps-port", str(tls_port), "--nntp-peer", "127.0.0.1"],
                stdout=output, stderr=output)
        processes.append(process)

        def alive() -> bool:
            return process.poll() is None

        # 120 s: in a full `swift test` dozens of servers start at once, and a debug correo took over 30 s.
        if netutil.wait_port("127.0.0.1", port, 120, alive) and netutil.wait_port("127.0.0.1", tls_port, 120, alive):
            return port, tls_port
        if alive() or "already in use" not in log.read_text(errors="replace"):
            return None
        processes.remove(process)
    return None


def run(binary: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="correo-tb-news-"))
    processes: list[subprocess.Popen] = []
    marker = f"tb-marker-{random.randrange(10**9)}"
    try:
        storage = work / "storage"
        subprocess.run([binary, "group", "add", GROUP, "--description", "Thunderbird reads correo", "-s", str(storage)],
                       check=True, capture_output=True)
        password = f"alice-{random.randrange(10**9)}"
        subprocess.run([binary, "user", "add", "alice@example.test", "-s", str(storage), "--password-stdin"],
                       input=f"{password}\n".encode(), check=True, capture_output=True)
        ca, cert, key = harness.make_certificates(work)
        ports = start_correo(binary, storage, cert, key, work / "correo.log", processes)
        listening = ports is not None
        harness.check("correo serve listens on its NNTP and NNTPS ports", listening,
                      (work / "correo.log").read_text(errors="replace"))
        if ports is None:
            return 1
        port, tls_port = ports
        feed(port, marker)

        # mail.b.test (the certificate's name) resolves to 127.0.0.1; the test CA is trusted in the script.
        xvfb, display = start_xvfb(work)
        processes.append(xvfb)
        marionette = harness.start_thunderbird(work, processes, harness.free_port(), {
            "network.dns.forceResolve": "127.0.0.1",
            "network.dns.disableIPv6": True,
        }, display=display)
        # Marionette's own limit for a script (30 s unless set; a command's "scriptTimeout" is ignored): a
        # drawn window on a loaded machine took longer than that. Under the harness's 120 s socket timeout.
        marionette.command("WebDriver:SetTimeouts", {"script": 110000})
        ca_base64 = "".join(line for line in ca.read_text().splitlines() if not line.startswith("-----"))
        answer = marionette.command("WebDriver:ExecuteAsyncScript", {
            "script": SCRIPT, "args": [ca_base64, tls_port, GROUP, marker], "scriptTimeout": 120000})
        result = json.loads(answer["value"] if isinstance(answer, dict) else answer)
        print(f"  thunderbird: {json.dumps({k: v for k, v in result.items() if k != 'pane'})}", flush=True)
        harness.check("news account, group subscribed and headers downloaded", "error" not in result,
                      result.get("error", ""))
        if "error" not in result:
            harness.check("the group is subscribed, its folder named after it",
                          result["subscribed"] and result["folder"] == GROUP, result)
            stored = sorted(result["stored"], key=lambda h: h["key"])
            harness.check("the headers: articles 1-3 with Subject, author, Message-ID and 2 lines each",
                          [(h["key"], h["subject"], h["author"], h["id"], h["lines"]) for h in stored]
                          == [(k, f"Article {k} for Thunderbird", "Alice <alice@example.test>",
                               f"{marker}.{k}@example.test", 2) for k in (1, 2, 3)], stored)
            harness.check("the thread pane shows the 3 Subjects, each from Alice",
                          sorted((r["subject"], r["sender"]) for r in result["rows"])
                          == [(f"Article {k} for Thunderbird", "Alice <alice@example.test>") for k in (1, 2, 3)],
                          result["rows"])
            pane = result["pane"] or ""
            harness.check("the message pane shows article 1's body", f"The body of article 1: {marker}." in pane,
                          pane[:300])
            harness.check("and its Subject", "Article 1 for Thunderbird" in pane, pane[:300])
            answer = marionette.command("WebDriver:ExecuteAsyncScript", {
                "script": POST_SCRIPT, "args": [GROUP, "alice@example.test", password, marker]})
            sent = json.loads(answer["value"] if isinstance(answer, dict) else answer)
            harness.check("Thunderbird sent a new article and a follow-up (AUTHINFO, POST)",
                          sent == {"posted": 0, "followedUp": 0}, sent)
            check_posts(port, marker)
        harness.quit_thunderbird(marionette)
        # Thunderbird's sessions end when it quits: correo logs each with its protocol and TLS version.
        logged = ""
        for _ in range(50):
            logged = (work / "correo.log").read_text(errors="replace")
            if re.search(r"event=nntp\.disconnect protocol=nntps .*tls=TLSv1", logged):
                break
            time.sleep(0.2)
        harness.check("Thunderbird read over NNTPS (implicit TLS)",
                      re.search(r"event=nntp\.disconnect protocol=nntps .*tls=TLSv1", logged) is not None, logged[-2000:])
    finally:
        harness.stop(processes, work)
    return harness.summary("thunderbird-news")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [name for name, found in (("thunderbird", harness.thunderbird_binary()), ("Xvfb", shutil.which("Xvfb")))
               if found is None]
    if missing:
        print(f"{' and '.join(missing)} not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    return run(str(Path(sys.argv[1]).resolve()))


if __name__ == "__main__":
    sys.exit(main())
