#!/usr/bin/env python3
"""A stand-in for the `correo` binary, to test the benchmark HARNESS before correo's servers land.

It is not correo and its figures mean nothing: it only speaks correo's command lines (DESIGN.md) so that
every correo code path of bench/ (start, stop, storage layout, process tree, availability probe, report
columns) can be exercised end to end:
  smtpd -d DOMAIN -s STORAGE -p PORT ...   an aiosmtpd server delivering durably into STORAGE/USER/new/
                                           for the users in STORAGE/passwords.txt
  imapd -s STORAGE -p PORT ...             execs a private Dovecot on STORAGE (mail_location STORAGE/%u)
  send -c CSV -e FROM -n NAME -h HOST -p PORT -s SUBJECT -m BODY [-a FILE]... [--tls none|starttls]
       [--user U --password-file F] [--insecure] [--send] [--limit N]
                                           one SMTP connection reused for every row ({{col}} placeholders)
Run it with bench/.venv/bin/python (it needs aiosmtpd), e.g. `CORREO=bench/selftest/correo bench/run.sh --smoke`.
"""

import argparse
import asyncio
import csv
import os
import smtplib
import socket
import ssl
import sys
import time
from email.message import EmailMessage
from email.utils import formataddr

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def smtpd(argv):
    from aiosmtpd.smtp import SMTP

    p = argparse.ArgumentParser(prog="correo smtpd")
    p.add_argument("-d", "--domain", action="append", required=True)
    p.add_argument("-s", "--storage", required=True)
    p.add_argument("-p", "--port", type=int, required=True)
    p.add_argument("--submission-port", type=int)
    p.add_argument("--smtps-port", type=int)
    p.add_argument("--bind")
    a = p.parse_args(argv)
    users = set()
    with open(os.path.join(a.storage, "passwords.txt")) as f:
        users = {line.split(":", 1)[0].lower() for line in f if ":" in line}
    counter = [0]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower() not in users:
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            for rcpt in envelope.rcpt_tos:
                box = os.path.join(a.storage, rcpt.lower())
                for sub in ("tmp", "new", "cur"):
                    os.makedirs(os.path.join(box, sub), exist_ok=True)
                counter[0] += 1
                name = f"{time.time():.6f}.P{os.getpid()}Q{counter[0]}.standin"
                tmp = os.path.join(box, "tmp", name)
                with open(tmp, "wb") as f:
                    f.write(envelope.original_content)
                    os.fsync(f.fileno())
                os.rename(tmp, os.path.join(box, "new", name))
            return "250 2.0.0 OK"

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(Handler(), hostname="standin.bench.test", decode_data=False, data_size_limit=64 << 20),
        "127.0.0.1", a.port))
    try:
        loop.run_forever()
    finally:
        server.close()


def imapd(argv):
    import servers

    p = argparse.ArgumentParser(prog="correo imapd")
    p.add_argument("-s", "--storage", required=True)
    p.add_argument("-p", "--port", type=int, required=True)
    p.add_argument("--imaps-port", type=int)
    p.add_argument("--bind")
    p.add_argument("--allow-plaintext-auth", action="store_true")
    a = p.parse_args(argv)
    d = servers.Dovecot(f"/tmp/correo-standin-imapd-{a.port}", a.storage, a.port, max_clients=11000)
    d.clear_index()
    d._write_conf()
    servers.chown_tree_dirs(d.storage)
    servers.raise_nofile(20000)
    os.execvp("dovecot", ["dovecot", "-F", "-c", d.conf])


def send(argv):
    p = argparse.ArgumentParser(prog="correo send", add_help=False)
    p.add_argument("-c", "--csv", required=True)
    p.add_argument("-e", "--from-address", required=True)
    p.add_argument("-n", "--from-name", required=True)
    p.add_argument("-h", "--host", required=True)
    p.add_argument("-p", "--port", type=int, required=True)
    p.add_argument("-s", "--subject", required=True)
    p.add_argument("-m", "--body", required=True)
    p.add_argument("-a", "--attach", action="append", default=[])
    p.add_argument("--tls", default="starttls")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--cafile")
    p.add_argument("--send", action="store_true")
    p.add_argument("--limit", type=int)
    a = p.parse_args(argv)
    body = open(a.body).read()
    with open(a.csv, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if a.limit:
        rows = rows[: a.limit]
    attachments = [(os.path.basename(x), open(x, "rb").read()) for x in a.attach]

    def fill(text, row):
        for k, v in row.items():
            text = text.replace("{{" + k + "}}", v).replace("$" + k, v)
        return text

    def build(row):
        m = EmailMessage()
        m["From"] = formataddr((a.from_name, a.from_address))
        m["To"] = formataddr((row.get("name", ""), row["email"]))
        m["Subject"] = fill(a.subject, row)
        m.set_content(fill(body, row))
        for name, data in attachments:
            m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        return m

    if not a.send:
        print(build(rows[0]).as_string())
        return 0
    s = smtplib.SMTP(a.host, a.port)
    s.ehlo()
    if a.tls == "starttls":
        ctx = ssl.create_default_context()
        if a.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    if a.user:
        s.login(a.user, open(a.password_file).read().strip())
    failed = 0
    for row in rows:
        try:
            s.send_message(build(row), a.from_address, [row["email"]])
        except smtplib.SMTPException:
            failed += 1
    s.quit()
    print(f"sent {len(rows) - failed}, failed {failed}")
    return 1 if failed else 0


def main():
    if len(sys.argv) < 2:
        print("usage: correo smtpd|imapd|send ...", file=sys.stderr)
        return 64
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "smtpd":
        return smtpd(argv)
    if cmd == "imapd":
        return imapd(argv)
    if cmd == "send":
        return send(argv)
    print(f"Error: {cmd}: not yet available", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
