#!/usr/bin/env python3
"""Real Thunderbird with a news account reads a group from `correo serve`.

    thunderbird_news.py CORREO_BINARY

Issue 14's Thunderbird check. Steps:

1. `correo group add test.thunderbird`, then `correo serve` on 127.0.0.1 with only NNTP on a free port
   (`--nntp-peer 127.0.0.1`), and three articles fed with IHAVE (nntplib), article 1's body holding a marker;
2. Thunderbird headless (`--headless --marionette`) with a fresh profile (as thunderbird_autoconfig.py);
3. over Marionette, in Thunderbird's chrome, what *Add Other Account… → Newsgroup account* and
   *Subscribe…* do: a news server (`nntp`) on correo's port and an account for it, the group subscribed
   (`nsINntpIncomingServer.subscribeToNewsgroup`), its headers downloaded (`getNewMessages`, Thunderbird's
   own NNTP client: MODE READER, GROUP, XOVER); then, in the main window, the group shown in the thread
   pane (its Subjects and senders) and article 1 selected, its body fetched (ARTICLE) and shown in the
   message pane.

Prints one PASS/FAIL line per check and `thunderbird-news: ok`; exit status 1 on a failure, 2 when
Thunderbird is not installed (scripts/install-test-deps.sh installs it). Every wait is bounded.
"""

from __future__ import annotations

import email.utils
import json
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import thunderbird_autoconfig as harness  # noqa: E402  (Marionette, check, the profile)

warnings.filterwarnings("ignore", category=DeprecationWarning)
import nntplib  # noqa: E402

GROUP = "test.thunderbird"

# Runs in Thunderbird's chrome: the news account as the account wizard creates it, the subscription as
# the Subscribe dialogue makes it, the header download as selecting the folder starts it, and the
# article as the message pane loads it (streamMessage).
SCRIPT = r"""
const [port, group, marker, resolve] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
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
  const server = MailServices.accounts.createIncomingServer(null, "127.0.0.1", "nntp");
  server.port = port;
  server.socketType = Ci.nsMsgSocketType.plain;
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


def feed(port: int, marker: str) -> None:
    """Three articles into GROUP with IHAVE (correo runs with --nntp-peer 127.0.0.1)."""
    s = nntplib.NNTP("127.0.0.1", port, readermode=False, timeout=10)
    for k in range(1, 4):
        mid = f"<{marker}.{k}@example.test>"
        lines = ["Path: origin.example.test!not-for-mail", "From: Alice <alice@example.test>",
                 f"Newsgroups: {GROUP}", f"Subject: Article {k} for Thunderbird", f"Message-ID: {mid}",
                 "Date: " + email.utils.formatdate(usegmt=True), "",
                 f"The body of article {k}: {marker if k == 1 else 'plain'}.", "Second line."]
        s.ihave(mid, [x.encode() for x in lines])
    s.quit()


def run(binary: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="correo-tb-news-"))
    processes: list[subprocess.Popen] = []
    marker = f"tb-marker-{random.randrange(10**9)}"
    try:
        storage = work / "storage"
        subprocess.run([binary, "group", "add", GROUP, "--description", "Thunderbird reads correo", "-s", str(storage)],
                       check=True, capture_output=True)
        port = harness.free_port()
        correo_log = open(work / "correo.log", "wb")
        processes.append(subprocess.Popen(
            [binary, "serve", "-s", str(storage), "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port", "0",
             "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", str(port),
             "--nntps-port", "0", "--nntp-peer", "127.0.0.1"],
            stdout=correo_log, stderr=correo_log))
        listening = harness.wait_port(port, 30)
        harness.check("correo serve listens on its NNTP port", listening, (work / "correo.log").read_text(errors="replace"))
        if not listening:
            return 1
        feed(port, marker)

        marionette = harness.start_thunderbird(work, processes, harness.free_port(), {})
        answer = marionette.command("WebDriver:ExecuteAsyncScript",
                                    {"script": SCRIPT, "args": [port, GROUP, marker], "scriptTimeout": 120000})
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
        harness.quit_thunderbird(marionette)
    finally:
        harness.stop(processes, work)
    return harness.summary("thunderbird-news")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if harness.thunderbird_binary() is None:
        print("thunderbird is not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    return run(str(Path(sys.argv[1]).resolve()))


if __name__ == "__main__":
    sys.exit(main())
