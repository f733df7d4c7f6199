#!/usr/bin/env python3
"""Two sessions on one mailbox see each other's changes at the points RFC 3501 §7.4.1 allows.

usage: two_sessions.py HOST PORT USER PASSWORD   (INBOX must hold at least 3 messages)
Prints "SESSIONS OK".
"""
import imaplib
import sys


def connect(host, port, user, password):
    imap = imaplib.IMAP4(host, int(port))
    imap.login(user, password)
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    return imap, int(data[0])


def main():
    host, port, user, password = sys.argv[1:5]
    a, count = connect(host, port, user, password)
    b, count_b = connect(host, port, user, password)
    assert count >= 3 and count == count_b, (count, count_b)

    # A flags message 2; B learns it with its next command as an untagged FETCH FLAGS.
    typ, _ = a.store("2", "+FLAGS.SILENT", "(\\Flagged)")
    assert typ == "OK"
    b.untagged_responses.clear()
    typ, _ = b.noop()
    fetches = b.untagged_responses.get("FETCH", [])
    assert any(b"\\Flagged" in f for f in fetches), b.untagged_responses

    # A's STORE with nothing changed since its last look: its next NOOP has nothing more to say.
    typ, data = a.store("2", "+FLAGS", "(\\Answered)")
    assert typ == "OK" and any(b"\\Answered" in d for d in data), data
    a.untagged_responses.clear()
    a.noop()
    assert "FETCH" not in a.untagged_responses, a.untagged_responses
    # B changes message 3 meanwhile: A's next STORE (on message 2) tells A of it too…
    b.store("3", "+FLAGS.SILENT", "(\\Seen)")
    typ, data = a.store("2", "-FLAGS", "(\\Answered)")
    assert typ == "OK" and any(d.startswith(b"3 ") and b"\\Seen" in d for d in data), data
    assert any(d.startswith(b"2 ") and b"\\Answered" not in d for d in data), data
    # …and a change B makes after A's STORE reaches A at its next command.
    b.store("3", "-FLAGS.SILENT", "(\\Seen)")
    a.untagged_responses.clear()
    a.noop()
    assert any(f.startswith(b"3 ") and b"\\Seen" not in f for f in a.untagged_responses.get("FETCH", [])), \
        a.untagged_responses

    # A expunges message 1. B's FETCH by sequence number must not see EXPUNGE (numbers stay put)…
    a.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    typ, data = a.expunge()
    assert data == [b"1"], data
    b.untagged_responses.clear()
    typ, data = b.fetch("1:*", "(UID)")
    assert typ == "OK" and "EXPUNGE" not in b.untagged_responses, b.untagged_responses
    # The expunged message's data is gone; the others keep their numbers (2 and 3 stay 2 and 3).
    assert [d for d in data if d][:2] == [b"2 (UID 2)", b"3 (UID 3)"], data
    # …but NOOP delivers it, and the numbers shift.
    b.untagged_responses.clear()
    b.noop()
    assert b.untagged_responses.get("EXPUNGE") == [b"1"], b.untagged_responses
    typ, data = b.fetch("1:*", "(UID)")
    assert len([d for d in data if d]) == count - 1, data

    # A new message appended by A shows up in B as EXISTS.
    typ, data = a.append("INBOX", None, None, b"From: x@example.org\r\nSubject: new\r\n\r\nhi\r\n")
    assert typ == "OK", data
    b.untagged_responses.clear()
    b.noop()
    assert b.untagged_responses.get("EXISTS") == [str(count).encode()], b.untagged_responses
    a.logout()
    b.logout()
    print("SESSIONS OK")


if __name__ == "__main__":
    main()
