#!/usr/bin/env python3
"""STARTTLS and implicit TLS with Python's imaplib.

usage: tls_check.py HOST STARTTLS_PORT IMPLICIT_PORT USER PASSWORD
Checks that LOGIN is refused before STARTTLS (LOGINDISABLED), works after it, and works on the
implicit-TLS port. Prints "TLS OK".
"""
import imaplib
import ssl
import sys


def main():
    host, plain_port, tls_port, user, password = sys.argv[1:6]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    imap = imaplib.IMAP4(host, int(plain_port))
    assert "STARTTLS" in imap.capabilities and "LOGINDISABLED" in imap.capabilities, imap.capabilities
    try:
        imap.login(user, password)
        raise AssertionError("LOGIN before STARTTLS must fail")
    except imaplib.IMAP4.error:
        pass
    imap.starttls(ssl_context=context)
    assert "STARTTLS" not in imap.capabilities and "AUTH=PLAIN" in imap.capabilities, imap.capabilities
    typ, _ = imap.login(user, password)
    assert typ == "OK"
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    imap.logout()

    imap = imaplib.IMAP4_SSL(host, int(tls_port), ssl_context=context)
    typ, _ = imap.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode())
    assert typ == "OK"
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    imap.logout()
    print("TLS OK")


if __name__ == "__main__":
    main()
