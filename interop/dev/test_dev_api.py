#!/usr/bin/env python3
"""`correo serve --dev` tested the way an application's test suite would use it: send with smtplib,
wait for the message through the HTTP API, assert on the parsed JSON, then read the same message over
IMAP logged in as the recipient's address (any password).

Run: CORREO_BINARY=.build/debug/correo python3 interop/dev/test_dev_api.py   (or with pytest)
Only the standard library; every wait is bounded.
"""
import email.message
import http.client
import imaplib
import json
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

BINARY = os.environ.get("CORREO_BINARY", ".build/debug/correo")
HOST = "127.0.0.1"


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind((HOST, 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class DevServer:
    """One `correo serve --dev` on free loopback ports with its own storage folder."""

    def __init__(self, *extra):
        self.storage = tempfile.mkdtemp(prefix="correo-dev-test-")
        self.log = open(os.path.join(self.storage, "server.log"), "w+")
        # A port found free can be taken by another test's server before correo binds it (the suites
        # run side by side): correo then exits saying so, and we start again on new ports, 3 times at most.
        for attempt in range(3):
            if self._start(extra) or attempt == 2:
                return
            self.log.seek(0)
            self.log.truncate()

    def _start(self, extra):
        """True once correo answers /healthz; False when it exited because a port was taken."""
        self.smtp, self.submission, self.imap, self.imaps, self.http = free_ports(5)
        self.process = subprocess.Popen(
            [BINARY, "serve", "--dev", "-s", os.path.join(self.storage, "store"),
             "--smtp-port", str(self.smtp), "--submission-port", str(self.submission),
             "--imap-port", str(self.imap), "--imaps-port", str(self.imaps), "--http-port", str(self.http),
             *extra],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "in use" in self.output().lower():
                    return False
                raise RuntimeError("correo --dev exited: " + self.output())
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:
                    if answer.status == 200 and self.process.poll() is None:
                        return True
            except (OSError, http.client.HTTPException):
                # Not listening yet, or another program holds the port (it answered, but not HTTP).
                time.sleep(0.2)
        raise RuntimeError("correo --dev did not answer in 60 s: " + self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def url(self, path):
        return "http://%s:%d%s" % (HOST, self.http, path)

    def request(self, path, method="GET", timeout=30):
        """(status, headers, body bytes) of one request; HTTP errors are answers too."""
        request = urllib.request.Request(self.url(path), method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, path, method="GET"):
        status, headers, body = self.request(path, method)
        if status != 200:
            raise AssertionError("%s %s: %d %s" % (method, path, status, body[:300]))
        assert headers.get("Content-Type", "").startswith("application/json"), headers
        return json.loads(body)

    def wait_for(self, timeout=20, **filters):
        query = urllib.parse.urlencode(dict(filters, timeout=timeout))
        status, _, body = self.request("/api/messages/wait?" + query, timeout=timeout + 10)
        if status != 200:
            raise AssertionError("no message for %s within %d s (%d)\n%s" % (filters, timeout, status, self.output()))
        return json.loads(body)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.storage, ignore_errors=True)


def signup_mail(to, bcc=None, subject="Welcome to Example"):
    message = email.message.EmailMessage()
    message["From"] = "Example App <noreply@app.example>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Hello!\nYour code is 123456.\n")
    message.add_alternative("<p>Hello! Your code is <b>123456</b>.</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 not really\n", maintype="application", subtype="pdf", filename="invoice.pdf")
    return message


class DevModeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = DevServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def send(self, message, to_addrs=None):
        with smtplib.SMTP(HOST, self.server.smtp, timeout=30) as smtp:
            smtp.send_message(message, to_addrs=to_addrs)

    def test_signup_mail_arrives_parsed_and_over_imap(self):
        since = time.time()
        self.send(signup_mail("alice@customer.example"),
                  to_addrs=["alice@customer.example", "audit@bcc.example"])

        found = self.server.wait_for(to="alice@customer.example", since="%.3f" % since)
        self.assertEqual(found["subject"], "Welcome to Example")
        message = self.server.json("/api/messages/" + found["id"])
        self.assertEqual(message["from"], [{"name": "Example App", "address": "noreply@app.example"}])
        self.assertEqual([a["address"] for a in message["to"]], ["alice@customer.example"])
        self.assertEqual(message["envelope"]["recipients"], ["alice@customer.example", "audit@bcc.example"])
        self.assertIn("Your code is 123456.", message["text"])
        self.assertIn("<b>123456</b>", message["html"])
        self.assertEqual(message["attachments"],
                         [{"index": 0, "name": "invoice.pdf", "type": "application/pdf", "size": 20}])
        self.assertIn({"name": "Subject", "value": "Welcome to Example"}, message["headers"])

        status, headers, raw = self.server.request("/api/messages/%s/raw" % found["id"])
        self.assertEqual((status, headers["Content-Type"]), (200, "message/rfc822"))
        status, headers, attachment = self.server.request("/api/messages/%s/attachments/0" % found["id"])
        self.assertEqual((status, headers["Content-Type"], attachment), (200, "application/pdf", b"%PDF-1.4 not really\n"))

        # The same message over IMAP, logged in as the recipient with a password nobody set.
        for login in ("alice@customer.example", "audit@bcc.example", "all"):
            imap = imaplib.IMAP4(HOST, self.server.imap, timeout=30)
            try:
                imap.login(login, "whatever-you-like")
                imap.select("INBOX")
                typ, data = imap.uid("SEARCH", None, "SUBJECT", '"Welcome to Example"')
                self.assertEqual(typ, "OK")
                uids = data[0].split()
                self.assertEqual(len(uids), 1, login)
                typ, fetched = imap.uid("FETCH", uids[0], "(BODY.PEEK[])")
                self.assertEqual(fetched[0][1], raw, login)
            finally:
                imap.logout()

    def test_wait_answers_no_content_when_nothing_comes(self):
        started = time.monotonic()
        status, headers, body = self.server.request(
            "/api/messages/wait?to=nobody-ever@nowhere.example&timeout=1", timeout=20)
        self.assertEqual((status, body), (204, b""))
        self.assertLess(time.monotonic() - started, 10)

    def test_wait_returns_as_soon_as_the_message_arrives(self):
        since = time.time()
        answers = []

        import threading

        def wait():
            answers.append(self.server.wait_for(timeout=30, to="late@customer.example", since="%.3f" % since))

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(1)
        self.assertEqual(answers, [])
        self.send(signup_mail("late@customer.example", subject="Arrives later"))
        waiter.join(timeout=40)
        self.assertEqual([a["subject"] for a in answers], ["Arrives later"])

    def test_events_stream_an_arrival(self):
        connection = http.client.HTTPConnection(HOST, self.server.http, timeout=30)
        connection.request("GET", "/api/events")
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertTrue(response.getheader("Content-Type").startswith("text/event-stream"))
        self.send(signup_mail("events@customer.example", subject="Streamed"))
        data = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = response.readline().decode()
            if line.startswith("data: "):
                data = json.loads(line[len("data: "):])
                if data["subject"] == "Streamed":
                    break
        connection.close()
        self.assertIsNotNone(data)
        self.assertEqual(data["subject"], "Streamed")

    def test_submission_with_any_password_relays_nothing(self):
        with smtplib.SMTP(HOST, self.server.submission, timeout=30) as smtp:
            smtp.login("app@app.example", "any password")
            smtp.send_message(signup_mail("someone@far-away.example", subject="Not relayed"))
        found = self.server.wait_for(to="someone@far-away.example", subject="Not relayed")
        self.assertEqual(found["envelope"]["recipients"], ["someone@far-away.example"])
        queue = os.path.join(self.server.storage, "store", "queue", "messages")
        self.assertEqual(os.listdir(queue) if os.path.isdir(queue) else [], [])

    def test_release_is_refused_without_an_allow_list(self):
        # Without --dev-release-allow nothing leaves: the answer says how to turn release on.
        self.send(signup_mail("keep@customer.example", subject="Not released"))
        found = self.server.wait_for(to="keep@customer.example", subject="Not released")
        for path, body, status in [
            ("/api/messages/%s/release" % found["id"], b"", 403),
            ("/api/messages/%s/release" % found["id"], b'{"to": ["dev@example.com"]}', 403),
            ("/api/messages/99999/release", b"", 404),
            ("/api/messages/%s/release" % found["id"], b'{"to": []}', 400),
        ]:
            request = urllib.request.Request(self.server.url(path), data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    code, text = answer.status, answer.read()
            except urllib.error.HTTPError as error:
                code, text = error.code, error.read()
            self.assertEqual(code, status, (path, body, text))
            error = json.loads(text)["error"]
            if status == 403:
                self.assertIn("--dev-release-allow", error)
            self.assertTrue(error, path)
        queue = os.path.join(self.server.storage, "store", "queue", "messages")
        self.assertEqual(os.listdir(queue) if os.path.isdir(queue) else [], [])

    def test_delete_removes_it_from_the_recipient_too(self):
        self.send(signup_mail("gone@customer.example", subject="To be deleted"))
        found = self.server.wait_for(to="gone@customer.example")
        self.assertEqual(self.server.json("/api/messages/" + found["id"], method="DELETE"), {"deleted": 1})
        status, _, body = self.server.request("/api/messages/" + found["id"])
        self.assertEqual(status, 404)
        self.assertIn("no message", json.loads(body)["error"])
        imap = imaplib.IMAP4(HOST, self.server.imap, timeout=30)
        try:
            imap.login("gone@customer.example", "x")
            typ, data = imap.select("INBOX")
            self.assertEqual(data, [b"0"])
        finally:
            imap.logout()

    def test_list_filters_and_pages(self):
        for n in range(3):
            self.send(signup_mail("pager@customer.example", subject="Page %d" % n))
        self.server.wait_for(to="pager@customer.example", subject="Page 2")
        page = self.server.json("/api/messages?to=pager%40customer.example&limit=2")
        self.assertEqual((page["total"], page["count"]), (3, 2))
        self.assertEqual([m["subject"] for m in page["messages"]], ["Page 2", "Page 1"])
        rest = self.server.json("/api/messages?to=pager%40customer.example&limit=2&start=2")
        self.assertEqual([m["subject"] for m in rest["messages"]], ["Page 0"])
        self.assertEqual(self.server.json("/api/messages?subject=page+1&to=pager")["total"], 1)
        self.assertEqual(self.server.json("/api/messages?to=pager&before=2000-01-01T00:00:00Z")["total"], 0)

    def test_bad_requests_get_clear_json_errors(self):
        for path, status in [
            ("/api/messages/not-a-number", 404),
            ("/api/messages/..%2F..%2Fpasswords.txt/raw", 404),
            ("/api/messages/%2e%2e/raw", 404),
            ("/api/messages/1/attachments/..%2F..%2Fetc%2Fpasswd", 404),
            ("/api/messages?limit=0", 400),
            ("/api/messages?since=yesterday", 400),
            ("/api/messages/wait?timeout=100000", 400),
        ]:
            code, headers, body = self.server.request(path)
            self.assertEqual(code, status, path)
            self.assertTrue(headers["Content-Type"].startswith("application/json"), path)
            self.assertTrue(json.loads(body)["error"], path)

    def test_web_page_lists_and_shows_with_the_warning(self):
        self.send(signup_mail("web@customer.example", subject="Seen on the web page"))
        found = self.server.wait_for(to="web@customer.example")
        status, _, page = self.server.request("/")
        self.assertEqual(status, 200)
        self.assertIn(b"never let it face the internet", page)
        self.assertIn(b"Seen on the web page", page)
        status, _, view = self.server.request("/messages/" + found["id"])
        self.assertIn(b'<iframe sandbox src="/messages/%s/body.html"' % found["id"].encode(), view)
        status, headers, body = self.server.request("/messages/%s/body.html" % found["id"])
        self.assertEqual(status, 200)
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        self.assertIn(b"<b>123456</b>", body)

    def test_every_documented_path_answers_as_documented(self):
        self.send(signup_mail("openapi@customer.example", subject="For the document"))
        found = self.server.wait_for(to="openapi@customer.example")
        document = self.server.json("/api/openapi.json")
        self.assertEqual(document["openapi"], "3.1.0")
        checked = []
        # Deletions last, so that the message is there for the others.
        operations = sorted(
            ((path, method, spec) for path, item in document["paths"].items()
             for method, spec in item.items() if method in ("get", "delete")),
            key=lambda op: (op[1] == "delete", op[0] == "/api/messages"))
        for path, method, spec in operations:
            concrete = path.replace("{id}", found["id"]).replace("{index}", "0")
            if path == "/api/messages/wait":
                concrete += "?timeout=1&to=openapi%40customer.example"
            if path == "/api/events":
                connection = http.client.HTTPConnection(HOST, self.server.http, timeout=10)
                connection.request("GET", concrete)
                status = connection.getresponse().status
                connection.close()
            else:
                status, _, _ = self.server.request(concrete, method=method.upper())
            self.assertIn(str(status), spec["responses"], "%s %s" % (method, concrete))
            checked.append((method, path))
        self.assertEqual(len(checked), 11, checked)


class ScriptedFaultsTest(unittest.TestCase):
    """The faults a sender under test meets, set by flag and through the API: each at its scripted
    moment, and the retry then succeeds."""

    @classmethod
    def setUpClass(cls):
        cls.server = DevServer("--dev-fault", "RCPT to=flaky@* times=1 452 4.2.2 Mailbox busy, try later")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def put_faults(self, lines):
        request = urllib.request.Request(
            self.server.url("/api/faults"), method="PUT", data="\n".join(lines).encode(),
            headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def test_a_flagged_refusal_then_the_retry_delivers(self):
        message = signup_mail("flaky@customer.example", subject="Second try")
        with smtplib.SMTP(HOST, self.server.smtp, timeout=30) as smtp:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.send_message(message)
            self.assertEqual(refused.exception.recipients["flaky@customer.example"][0], 452)
            smtp.send_message(message)
        self.assertEqual(self.server.wait_for(to="flaky@customer.example")["subject"], "Second try")

    def test_faults_set_through_the_api_cut_data_and_clear(self):
        listed = self.put_faults(["DATA from=cut@* times=1 close-after=500"])
        self.assertEqual(listed, {"faults": ["DATA from=cut@* times=1 close-after=500"]})
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = "cut@app.example", "cutoff@customer.example", "Cut once"
        message.set_content("A long line of the report.\n" * 200)
        with self.assertRaises((smtplib.SMTPServerDisconnected, smtplib.SMTPDataError)):
            with smtplib.SMTP(HOST, self.server.smtp, timeout=30) as smtp:
                smtp.send_message(message, from_addr="cut@app.example")
        with smtplib.SMTP(HOST, self.server.smtp, timeout=30) as smtp:
            smtp.send_message(message, from_addr="cut@app.example")
        self.assertEqual(self.server.wait_for(to="cutoff@customer.example")["subject"], "Cut once")
        status, _, body = self.server.request("/api/faults", method="DELETE")
        self.assertEqual((status, json.loads(body)), (200, {"faults": []}))
        request = urllib.request.Request(self.server.url("/api/faults"), method="PUT", data=b"FETCH 452")
        with self.assertRaises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(request, timeout=30)
        self.assertEqual(bad.exception.code, 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
