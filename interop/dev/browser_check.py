#!/usr/bin/env python3
"""The web page of `correo serve --dev` in headless Chromium: screenshots of the list and of a message
view, and a message sent while the list is open appears in it without a reload (the page's
EventSource on /api/events). Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe), so nothing but the standard library is needed.

Run: CORREO_BINARY=.build/debug/correo python3 interop/dev/browser_check.py [SCREENSHOT_DIR]
Exits 0 when every check passed; the screenshots are list.png and message.png.
"""
import base64
import fcntl
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_dev_api import HOST, DevServer, signup_mail  # noqa: E402


class Browser:
    """Headless Chromium and one page, spoken to over the DevTools pipe (NUL-separated JSON)."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="correo-dev-chromium-")
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()
        # Above 10, so that putting them at 3 and 4 in the child cannot overwrite one with the other.
        to_browser_read, from_browser_write = (self.high(to_browser_read), self.high(from_browser_write))
        # The child's fd 3 reads commands and fd 4 writes answers.
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--window-size=1200,900", "--no-first-run", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(to_browser_read, 3), os.dup2(from_browser_write, 4)))
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    @staticmethod
    def high(fd):
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return moved

    def call(self, method, session=False, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError("%s: %s" % (method, answer["error"]))
                    return answer.get("result", {})
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        raise RuntimeError("no answer to %s in 60 s" % method)

    def open(self, url):
        self.call("Page.navigate", session=True, url=url)
        self.until("document.readyState === 'complete'")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def until(self, expression, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.2)
        raise AssertionError("not true within %d s: %s" % (seconds, expression))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        self.process.kill()
        self.process.wait(timeout=20)
        os.close(self.to_browser)
        os.close(self.from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        print("chromium is not installed: run scripts/install-test-deps.sh", file=sys.stderr)
        return 2
    shots = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="correo-dev-shots-")
    os.makedirs(shots, exist_ok=True)
    server = DevServer()
    browser = None
    try:
        def send(to, subject):
            with smtplib.SMTP(HOST, server.smtp, timeout=30) as smtp:
                smtp.send_message(signup_mail(to, subject=subject))

        send("first@customer.example", "Already there")
        server.wait_for(to="first@customer.example")
        browser = Browser(binary)
        browser.open(server.url("/"))
        browser.until("document.querySelectorAll('#messages tbody tr').length === 1")
        assert "never let it face the internet" in browser.evaluate("document.body.innerText")
        # Sent while the page is open: it must appear without a reload.
        browser.evaluate("window.notReloaded = true")
        send("live@customer.example", "Arrived while you looked")
        browser.until("[...document.querySelectorAll('#messages tbody tr')].some("
                      "r => r.textContent.includes('Arrived while you looked'))")
        assert browser.evaluate("window.notReloaded === true"), "the page was reloaded"
        browser.screenshot(os.path.join(shots, "list.png"))

        found = server.wait_for(to="live@customer.example")
        browser.open(server.url("/messages/" + found["id"]))
        browser.until("document.querySelector('iframe[sandbox]') !== null")
        assert browser.evaluate("document.querySelector('iframe').getAttribute('sandbox')") == ""
        assert "Your code is 123456." in browser.evaluate("document.querySelector('pre.text').textContent")
        browser.screenshot(os.path.join(shots, "message.png"))
        for name in ("list.png", "message.png"):
            with open(os.path.join(shots, name), "rb") as file:
                assert file.read(8) == b"\x89PNG\r\n\x1a\n", name
        print("browser check passed; screenshots in %s" % shots)
        return 0
    finally:
        if browser is not None:
            browser.close()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
