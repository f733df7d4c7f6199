#!/usr/bin/env python3
"""Reads a user's INBOX over IMAP with STARTTLS, as the original's README had Thunderbird do.

Usage: imap_read.py HOST PORT USER PASSWORD
Prints, per message: its UID, its Subject, its text parts decoded, and each attachment as
"ATTACHMENT name size sha256" so that a test can compare them with the files that were sent.
The server's certificate is self-signed (the original's server.pem), so it is not verified.
"""
import email
import email.policy
import hashlib
import imaplib
import ssl
import sys


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with imaplib.IMAP4(host, port, timeout=30) as imap:
        if "STARTTLS" not in imap.capabilities:
            raise SystemExit("the server does not offer STARTTLS: %r" % (imap.capabilities,))
        imap.starttls(ssl_context=context)
        imap.login(user, password)
        status, data = imap.select("INBOX", readonly=True)
        if status != "OK":
            raise SystemExit("SELECT INBOX: %s %r" % (status, data))
        status, data = imap.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        print("MESSAGES %d" % len(uids))
        for uid in uids:
            status, parts = imap.uid("FETCH", uid, "(RFC822)")
            raw = parts[0][1]
            message = email.message_from_bytes(raw, policy=email.policy.default)
            print("UID %s" % uid.decode())
            print("SUBJECT %s" % message["Subject"])
            print("FROM %s" % message["From"])
            print("TO %s" % message["To"])
            for part in message.walk():
                if part.is_multipart():
                    continue
                if part.get_filename():
                    payload = part.get_payload(decode=True)
                    print("ATTACHMENT %s %d %s" % (
                        part.get_filename(), len(payload), hashlib.sha256(payload).hexdigest()))
                elif part.get_content_maintype() == "text":
                    print("TEXT %s" % part.get_content().strip().replace("\n", "\\n"))
        imap.logout()


if __name__ == "__main__":
    main()
