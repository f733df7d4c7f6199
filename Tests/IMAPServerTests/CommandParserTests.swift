import Foundation
import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct CommandParserTests {
    @Test func simpleCommands() {
        #expect(command("a CAPABILITY") == .capability)
        #expect(command("a noop") == .noop)
        #expect(command("a1.b_c LOGOUT") == .logout)
        #expect(command("x STARTTLS") == .startTLS)
        #expect(command("x NAMESPACE") == .namespace)
        #expect(command("x IDLE") == .idle)
        #expect(command("x CHECK") == .check)
        #expect(command("x CLOSE") == .close)
        #expect(command("x UNSELECT") == .unselect)
        #expect(command("x EXPUNGE") == .expunge)
    }

    @Test func loginWithAtomsQuotedAndLiterals() {
        #expect(command("a LOGIN bob secret") == .login(username: "bob", password: "secret"))
        #expect(
            command(#"a LOGIN "bob@example.org" "p a\"s\\s""#)
                == .login(username: "bob@example.org", password: #"p a"s\s"#)
        )
        #expect(command("a LOGIN {3}\r\nbob {4+}\r\n\"{}\\") == .login(username: "bob", password: "\"{}\\"))
        #expect(command("a LOGIN bob]x pw") == .login(username: "bob]x", password: "pw"))
    }

    @Test func badSyntaxHasAReason() {
        #expect(badReason("a LOGIN bob") == "Expected a space")
        #expect(badReason("a FOO") == "Unknown command FOO")
        #expect(badReason(#"a LOGIN "bob pw"#) == "Unterminated quoted string")
        #expect(badReason(#"a LOGIN "b\x" pw"#) == "Invalid escape in quoted string")
        #expect(badReason("a LOGIN {5}\r\nbob pw") != nil)
        #expect(badReason("a NOOP extra") == "Unexpected characters at the end of the command")
        #expect(parse("+tag NOOP") == .bad(tag: nil, reason: "Missing or invalid tag"))
        #expect(parse("") == .bad(tag: nil, reason: "Missing or invalid tag"))
        #expect(badReason("a LOGIN b(c pw") != nil)
        #expect(badReason("a UID FOO 1") == "Unknown UID command FOO")
    }

    @Test func authenticateWithAndWithoutInitialResponse() {
        #expect(command("a AUTHENTICATE PLAIN") == .authenticate(mechanism: "PLAIN", initialResponse: nil))
        #expect(
            command("a authenticate plain AGJvYgBwdw==")
                == .authenticate(mechanism: "PLAIN", initialResponse: "AGJvYgBwdw==")
        )
        #expect(command("a AUTHENTICATE PLAIN =") == .authenticate(mechanism: "PLAIN", initialResponse: "="))
    }

    @Test func enableAndID() {
        #expect(command("a ENABLE CONDSTORE utf8=accept") == .enable(["CONDSTORE", "UTF8=ACCEPT"]))
        #expect(badReason("a ENABLE") == "ENABLE needs a capability")
        #expect(command("a ID NIL") == .id(nil))
        #expect(
            command(#"a ID ("name" "Thunderbird" "version" NIL)"#)
                == .id([IDParameter(key: "name", value: "Thunderbird"), IDParameter(key: "version", value: nil)])
        )
        #expect(command("a ID ()") == .id([]))
    }

    @Test func mailboxCommands() {
        #expect(command("a SELECT inbox") == .select(IMAPMailboxName("INBOX"), condStore: false))
        #expect(command("a SELECT INBOX (CONDSTORE)") == .select(IMAPMailboxName("INBOX"), condStore: true))
        #expect(command(#"a EXAMINE "Sent Items""#) == .examine(IMAPMailboxName("Sent Items"), condStore: false))
        #expect(command("a CREATE Archive/2024") == .create(IMAPMailboxName("Archive/2024")))
        #expect(command("a DELETE {5}\r\nTrash") == .delete(IMAPMailboxName("Trash")))
        #expect(command("a RENAME Old New") == .rename(from: IMAPMailboxName("Old"), to: IMAPMailboxName("New")))
        #expect(command("a SUBSCRIBE Drafts") == .subscribe(IMAPMailboxName("Drafts")))
        #expect(command("a UNSUBSCRIBE Drafts") == .unsubscribe(IMAPMailboxName("Drafts")))
        #expect(command("a CREATE &ZeVnLIqe-") == .create(IMAPMailboxName("日本語")))
        #expect(command("a CREATE Caf&AOk-") == .create(IMAPMailboxName("Café")))
    }

    @Test func statusItems() {
        #expect(
            command("a STATUS INBOX (MESSAGES UNSEEN uidnext UIDVALIDITY RECENT SIZE HIGHESTMODSEQ)")
                == .status(
                    IMAPMailboxName("INBOX"),
                    [.messages, .unseen, .uidNext, .uidValidity, .recent, .size, .highestModSeq]
                )
        )
        #expect(badReason("a STATUS INBOX (FOO)") == "Unknown status attribute FOO")
        #expect(badReason("a STATUS INBOX ()") != nil)
    }

    @Test func listForms() {
        #expect(command(#"a LIST "" "*""#) == .list(ListCommand(reference: "", patterns: ["*"])))
        #expect(command("a LIST \"\" %") == .list(ListCommand(reference: "", patterns: ["%"])))
        #expect(command("a LIST \"\" INBOX/%") == .list(ListCommand(reference: "", patterns: ["INBOX/%"])))
        #expect(
            command(#"a LIST (SUBSCRIBED) "" ("INBOX" "Sent*") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))"#)
                == .list(
                    ListCommand(
                        selection: [.subscribed],
                        reference: "",
                        patterns: ["INBOX", "Sent*"],
                        returnOptions: [.children, .specialUse, .status([.messages, .unseen])]
                    )
                )
        )
        #expect(
            command(#"a LIST "" "*" RETURN (SUBSCRIBED)"#)
                == .list(ListCommand(reference: "", patterns: ["*"], returnOptions: [.subscribed]))
        )
        #expect(
            command(#"a LIST (SPECIAL-USE) "" *"#)
                == .list(ListCommand(selection: [.specialUse], reference: "", patterns: ["*"]))
        )
        #expect(command(#"a LSUB "" "*""#) == .lsub(reference: IMAPMailboxName(""), pattern: "*"))
        #expect(badReason(#"a LIST (FOO) "" *"#) == "Unknown LIST selection option FOO")
    }

    @Test func appendForms() {
        let message = "From: a@b\r\n\r\nhi\r\n"
        #expect(
            command("a APPEND INBOX {\(message.utf8.count)}\r\n\(message)")
                == .append(AppendCommand(mailbox: IMAPMailboxName("INBOX"), message: bytes(message)))
        )
        let dated = command("a APPEND Sent (\\Seen $Forwarded) \"05-Mar-2024 10:20:30 +0100\" {2+}\r\nhi")
        let expectedDate = Date(timeIntervalSince1970: 1_709_630_430)
        #expect(
            dated
                == .append(
                    AppendCommand(
                        mailbox: IMAPMailboxName("Sent"),
                        flags: [.seen, Flag("$Forwarded")],
                        internalDate: expectedDate,
                        message: bytes("hi")
                    )
                )
        )
        #expect(command("a APPEND INBOX \" 5-Mar-2024 10:20:30 -0000\" {1}\r\nx") != nil)
        #expect(badReason("a APPEND INBOX \"hi\"") != nil)
        #expect(badReason("a APPEND INBOX \"31-Foo-2024 10:20:30 +0000\" {1}\r\nx") == "Invalid month name")
    }

    @Test func sequenceSets() throws {
        guard case .fetch(let set, _, _, _) = command("a FETCH 5:3,7,9:*,* FLAGS") else {
            Issue.record("no fetch")
            return
        }
        #expect(set.closedRanges(last: 12) == [3...5, 7...7, 9...12, 12...12])
        #expect(SequenceSet.all.closedRanges(last: 0) == [0...1])
        #expect(badReason("a FETCH 0 FLAGS") == "Expected a non-zero number")
        #expect(badReason("a FETCH 1:x FLAGS") == "Invalid sequence set")
        #expect(badReason("a FETCH 4294967296 FLAGS") == "Number too large")
        #expect(SequenceSet.compact([5, 1, 2, 3, 9, 10]) == "1:3,5,9:10")
        #expect(SequenceSet.ordered([7, 8, 3, 4]) == "7:8,3:4")
    }

    @Test func uidRangeBeyondLastStillContainsLast() {
        guard case .fetch(let set, _, _, true) = command("a UID FETCH 4000:* FLAGS") else {
            Issue.record("no fetch")
            return
        }
        #expect(set.contains(3999, last: 3999))
        #expect(!set.contains(3998, last: 3999))
    }

    @Test func copyMoveAndUIDVariants() {
        let set = SequenceSet([.init(.number(1), .number(3))])
        #expect(command("a COPY 1:3 Trash") == .copy(set, IMAPMailboxName("Trash"), uid: false))
        #expect(command("a UID COPY 1:3 Trash") == .copy(set, IMAPMailboxName("Trash"), uid: true))
        #expect(command("a MOVE 1:3 Trash") == .move(set, IMAPMailboxName("Trash"), uid: false))
        #expect(command("a uid move 1:3 Trash") == .move(set, IMAPMailboxName("Trash"), uid: true))
        #expect(command("a UID EXPUNGE 1:3") == .uidExpunge(set))
    }

    @Test func storeForms() {
        let one = SequenceSet([.init(.number(1), .number(1))])
        #expect(
            command("a STORE 1 +FLAGS (\\Seen)")
                == .store(one, StoreCommand(operation: .add, silent: false, flags: [.seen]), uid: false)
        )
        #expect(
            command("a STORE 1 -FLAGS.SILENT \\Deleted \\draft")
                == .store(one, StoreCommand(operation: .remove, silent: true, flags: [.deleted, .draft]), uid: false)
        )
        #expect(
            command("a UID STORE 1 FLAGS ()")
                == .store(one, StoreCommand(operation: .replace, silent: false, flags: []), uid: true)
        )
        #expect(
            command("a STORE 1 (UNCHANGEDSINCE 12) +FLAGS.SILENT ($Junk)")
                == .store(
                    one,
                    StoreCommand(operation: .add, silent: true, flags: [Flag("$Junk")], unchangedSince: 12),
                    uid: false
                )
        )
        #expect(badReason("a STORE 1 +FLAGZ (\\Seen)") == "Expected FLAGS, +FLAGS or -FLAGS")
    }

    @Test func flagsAreCanonical() {
        #expect(Flag("\\SEEN") == .seen)
        #expect(Flag("\\seen").rawValue == "\\Seen")
        #expect(Flag("$Label1").rawValue == "$Label1")
    }
}
