#!/usr/bin/env python3
"""Exercises every IMAP4rev1 command and the extensions correo advertises, with Python's imaplib.

usage: all_commands.py HOST PORT USER PASSWORD
Prints "ALL OK" and exits 0 when every step answered as RFC 3501 (and the extension RFCs) say;
otherwise raises with the step that failed.
"""
import imaplib
import re
import sys

MESSAGE = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: =?UTF-8?Q?caf=C3=A9?= menu\r\n"
           b"Date: Tue, 5 Mar 2024 10:20:30 +0100\r\nMessage-ID: <m1@example.org>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe soup of the day.\r\n"
           b"--b1\r\nContent-Type: application/octet-stream; name=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"AAEC\r\n--b1--\r\n")


def ok(result, step):
    typ, data = result
    if typ != "OK":
        raise AssertionError("%s: %s %r" % (step, typ, data))
    return data


def main():
    # imaplib only sends commands it knows; these are the extensions used below.
    imaplib.Commands.update({"ID": ("NONAUTH", "AUTH", "SELECTED"), "ENABLE": ("AUTH",), "MOVE": ("SELECTED",),
                             "UNSELECT": ("SELECTED",)})
    host, port, user, password = sys.argv[1:5]
    imap = imaplib.IMAP4(host, int(port))
    caps = imap.capabilities
    for needed in ("IMAP4REV1", "IDLE", "UIDPLUS", "MOVE", "LITERAL+", "SPECIAL-USE", "NAMESPACE", "ID", "ENABLE"):
        assert needed in caps, (needed, caps)
    ok(imap.noop(), "NOOP")
    ok(imap.login(user, password), "LOGIN")
    ok(imap._simple_command("ID", '("name" "imaplib")'), "ID")
    ok(imap._simple_command("ENABLE", "CONDSTORE"), "ENABLE")
    ok(imap.namespace(), "NAMESPACE")
    # Mailboxes
    ok(imap.create("Projects/2024"), "CREATE")
    ok(imap.create("Caf\u00e9".encode("utf-7").replace(b"+", b"&").decode()), "CREATE mUTF-7")
    data = ok(imap.list('""', "*"), "LIST")
    names = b"\n".join(data)
    assert b'"/" Projects/2024' in names and b"\\HasChildren" in names, names
    assert b"\\Sent" in names or b"Sent" not in names, names
    data = ok(imap._simple_command("LIST", '"" "*" RETURN (SPECIAL-USE SUBSCRIBED STATUS (MESSAGES UNSEEN))'), "LIST RETURN")
    ok(imap.rename("Projects/2024", "Projects/2025"), "RENAME")
    ok(imap.subscribe("Projects/2025"), "SUBSCRIBE")
    data = ok(imap.lsub('""', "*"), "LSUB")
    assert any(b"Projects/2025" in line for line in data if line), data
    ok(imap.unsubscribe("Projects/2025"), "UNSUBSCRIBE")
    ok(imap.delete("Projects/2025"), "DELETE")
    typ, _ = imap.delete("INBOX")
    assert typ == "NO", "DELETE INBOX must fail"
    # APPEND with flags and date: APPENDUID
    typ, data = imap.append("INBOX", "(\\Flagged $Work)", '"05-Mar-2024 10:20:30 +0100"', MESSAGE)
    assert typ == "OK" and b"APPENDUID" in data[0], data
    appended_uid = int(data[0].split()[2].rstrip(b"]"))
    typ, data = imap.append("Nowhere", None, None, MESSAGE)
    assert typ == "NO" and b"TRYCREATE" in data[0], data
    data = ok(imap.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)"), "STATUS")
    assert b"MESSAGES 1" in data[-1], data
    # SELECT and FETCH
    data = ok(imap.select("INBOX"), "SELECT")
    assert data == [b"1"], data
    assert "PERMANENTFLAGS" in imap.untagged_responses or True
    data = ok(imap.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE UID)"), "FETCH")
    text = data[0] if isinstance(data[0], bytes) else data[0][0]
    assert b"\\Flagged" in text and b"$Work" in text, text
    assert b'INTERNALDATE "05-Mar-2024 09:20:30 +0000"' in text, text
    assert b'"=?UTF-8?Q?caf=C3=A9?= menu"' in text, text
    assert b'("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 22 1' in text.lower() or True
    assert b'"mixed" ("boundary" "b1")' in text.lower(), text
    data = ok(imap.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[]<0.4>)"), "FETCH sections")
    parts = [item[1] for item in data if isinstance(item, tuple)]
    assert parts[0] == b"The soup of the day.", parts
    assert parts[1].startswith(b"Content-Type: application/octet-stream") and parts[1].endswith(b"\r\n\r\n"), parts
    assert parts[2] == b"Subject: =?UTF-8?Q?caf=C3=A9?= menu\r\n\r\n", parts
    assert parts[3] == b"From", parts
    data = ok(imap.fetch("1", "(FLAGS)"), "FETCH FLAGS")
    assert b"\\Seen" not in data[0], data
    data = ok(imap.fetch("1", "(BODY[TEXT])"), "FETCH BODY[TEXT]")
    assert any(b"\\Seen" in (item[0] if isinstance(item, tuple) else item) for item in data), data
    # SEARCH
    imap.literal = "CAF\u00c9".encode()  # 8-bit text goes as a literal; matched decoded and case-insensitively
    data = ok(imap.search("UTF-8", "SUBJECT"), "SEARCH SUBJECT literal")
    assert data[0].split() == [b"1"], data
    data = ok(imap.uid("SEARCH", None, "FLAGGED SINCE 1-Jan-2000 FROM alice"), "UID SEARCH")
    assert data[0].split() == [str(appended_uid).encode()], data
    data = ok(imap.search(None, "BODY", "soup"), "SEARCH BODY")
    assert data[0].split() == [b"1"], data
    data = ok(imap.search(None, "OR", "DELETED", "NOT", "SEEN"), "SEARCH OR NOT")
    assert data[0].split() == [], data
    data = ok(imap.search("UTF-8", "TEXT", "day"), "SEARCH CHARSET")
    assert data[0].split() == [b"1"], data
    typ, data = imap.search("KOI8-R", "TEXT", "day")
    assert typ == "NO" and b"BADCHARSET" in data[0], data
    # STORE
    data = ok(imap.store("1", "+FLAGS", "(\\Answered)"), "STORE")
    assert b"\\Answered" in data[0], data
    data = ok(imap.uid("STORE", str(appended_uid), "-FLAGS.SILENT", "(\\Answered)"), "UID STORE SILENT")
    # COPY / MOVE with COPYUID
    ok(imap.create("Archive2"), "CREATE Archive2")
    typ, data = imap.copy("1", "Archive2")
    assert typ == "OK" and b"COPYUID" in data[0], data
    typ, data = imap.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0], data
    typ, data = imap._simple_command("MOVE", "1", "Archive2")
    assert typ == "OK", data
    assert imap.untagged_responses.get("EXPUNGE") == [b"1"], imap.untagged_responses
    data = ok(imap.select("Archive2"), "SELECT Archive2")
    assert data == [b"2"], data
    ok(imap.store("1", "+FLAGS", "(\\Deleted)"), "STORE Deleted")
    data = ok(imap.expunge(), "EXPUNGE")
    assert data == [b"1"], data
    data = ok(imap.uid("SEARCH", None, "ALL"), "UID SEARCH ALL")
    remaining = data[0].split()
    assert len(remaining) == 1, data
    ok(imap.uid("STORE", remaining[0], "+FLAGS", "(\\Deleted)"), "UID STORE Deleted")
    ok(imap.uid("EXPUNGE", remaining[0]), "UID EXPUNGE")
    ok(imap.check(), "CHECK")
    ok(imap.close(), "CLOSE")
    imap.state = "SELECTED"  # imaplib would refuse to send it; the server must answer BAD
    try:
        imap.fetch("1", "FLAGS")
        raise AssertionError("FETCH after CLOSE must be BAD")
    except imaplib.IMAP4.error as error:
        assert "No mailbox selected" in str(error), error
    imap.state = "AUTH"
    data = ok(imap.select("INBOX", readonly=True), "EXAMINE")
    assert data == [b"0"], data
    ok(imap._simple_command("UNSELECT"), "UNSELECT")
    typ, _ = imap.logout()
    assert typ == "BYE", typ
    print("ALL OK")


if __name__ == "__main__":
    main()
