import Foundation
import MailTestSupport
import Testing

@testable import IMAPServer

@Suite(.offThePool) struct EncoderTests {
    @Test func taggedAndUntaggedConditions() {
        #expect(encoded(.ok("a1", "Done")) == "a1 OK Done\r\n")
        #expect(encoded(.no("a1", .tryCreate, "No such mailbox")) == "a1 NO [TRYCREATE] No such mailbox\r\n")
        #expect(
            encoded(.untagged(.condition(.ok, .uidValidity(42), "UIDs valid")))
                == "* OK [UIDVALIDITY 42] UIDs valid\r\n"
        )
        #expect(
            encoded(.untagged(.condition(.ok, .permanentFlags([.seen, .deleted], allowsKeywords: true), "Limited")))
                == "* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] Limited\r\n"
        )
        #expect(
            encoded(.ok("t", .appendUID(uidValidity: 7, uid: 12), "APPEND completed"))
                == "t OK [APPENDUID 7 12] APPEND completed\r\n"
        )
        #expect(
            encoded(.ok("t", .copyUID(uidValidity: 7, source: "1:3", destination: "10:12"), "Done"))
                == "t OK [COPYUID 7 1:3 10:12] Done\r\n"
        )
        #expect(encoded(.continuation("Ready for literal")) == "+ Ready for literal\r\n")
        #expect(encoded(.bad("t", "line\r\nbreak")) == "t BAD line  break\r\n")
    }

    @Test func mailboxData() {
        #expect(encoded(.untagged(.exists(3))) == "* 3 EXISTS\r\n")
        #expect(encoded(.untagged(.recent(0))) == "* 0 RECENT\r\n")
        #expect(encoded(.untagged(.expunge(2))) == "* 2 EXPUNGE\r\n")
        #expect(
            encoded(.untagged(.flags([.answered, .seen, Flag("$Junk")]))) == "* FLAGS (\\Answered \\Seen $Junk)\r\n"
        )
        #expect(encoded(.untagged(.search([1, 5, 9], modSeq: nil))) == "* SEARCH 1 5 9\r\n")
        #expect(encoded(.untagged(.search([], modSeq: nil))) == "* SEARCH\r\n")
        #expect(encoded(.untagged(.search([2], modSeq: 17))) == "* SEARCH 2 (MODSEQ 17)\r\n")
        #expect(
            encoded(.untagged(.esearch(tag: "a", uid: true, [.min(2), .count(3)])))
                == "* ESEARCH (TAG \"a\") UID MIN 2 COUNT 3\r\n"
        )
        #expect(
            encoded(
                .untagged(.status(IMAPMailboxName("Sent Items"), [StatusValue(.messages, 3), StatusValue(.unseen, 1)]))
            )
                == "* STATUS \"Sent Items\" (MESSAGES 3 UNSEEN 1)\r\n"
        )
        #expect(
            encoded(
                .untagged(
                    .list(
                        ListEntry(
                            attributes: ["\\HasNoChildren", "\\Sent"],
                            delimiter: "/",
                            name: IMAPMailboxName("Sent")
                        )
                    )
                )
            )
                == "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
        )
        #expect(
            encoded(.untagged(.list(ListEntry(attributes: [], delimiter: "/", name: IMAPMailboxName("日本語")))))
                == "* LIST () \"/\" &ZeVnLIqe-\r\n"
        )
        #expect(
            encoded(.untagged(.namespace(personalPrefix: "", delimiter: "/")))
                == "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
        )
        #expect(encoded(.untagged(.enabled(["CONDSTORE"]))) == "* ENABLED CONDSTORE\r\n")
        #expect(
            encoded(.untagged(.id([IDParameter(key: "name", value: "correo")]))) == "* ID (\"name\" \"correo\")\r\n"
        )
    }

    @Test func stringsAreAtomQuotedOrLiteral() {
        var w = ResponseWriter()
        w.astring(bytes("INBOX"))
        w.space()
        w.string(bytes("a \"b\" \\c"))
        w.space()
        w.string(bytes("caf\u{e9}"))
        w.space()
        w.string(bytes("two\r\nlines"))
        w.space()
        w.nstring(nil)
        w.space()
        w.astring([])
        #expect(
            String(decoding: w.bytes, as: UTF8.self)
                == "INBOX \"a \\\"b\\\" \\\\c\" {5}\r\ncaf\u{e9} {10}\r\ntwo\r\nlines NIL \"\""
        )
    }

    @Test func fetchItems() {
        let date = Date(timeIntervalSince1970: 1_709_630_430)
        #expect(
            encoded(
                .untagged(.fetch(1, [.uid(7), .flags([.seen]), .rfc822Size(120), .internalDate(date), .modSeq(4)]))
            )
                == "* 1 FETCH (UID 7 FLAGS (\\Seen) RFC822.SIZE 120 INTERNALDATE \"05-Mar-2024 09:20:30 +0000\" MODSEQ (4))\r\n"
        )
        #expect(
            encoded(
                .untagged(
                    .fetch(
                        2,
                        [.section(name: "BODY[HEADER.FIELDS (FROM)]", origin: nil, data: bytes("From: a\r\n\r\n"))]
                    )
                )
            )
                == "* 2 FETCH (BODY[HEADER.FIELDS (FROM)] {11}\r\nFrom: a\r\n\r\n)\r\n"
        )
        #expect(
            encoded(.untagged(.fetch(2, [.section(name: "BODY[]", origin: 10, data: [])])))
                == "* 2 FETCH (BODY[]<10> \"\")\r\n"
        )
        #expect(
            encoded(.untagged(.fetch(2, [.section(name: "BODY[4]", origin: nil, data: nil)])))
                == "* 2 FETCH (BODY[4] NIL)\r\n"
        )
        #expect(IMAPResponseEncoder.internalDate(Date(timeIntervalSince1970: 0)) == "01-Jan-1970 00:00:00 +0000")
    }

    @Test func envelopeWithGroupsAndNils() {
        let envelope = Envelope(
            date: bytes("Tue, 5 Mar 2024 10:20:30 +0100"),
            subject: bytes("Caf\u{e9} \"menu\""),
            from: [EnvelopeAddress(name: bytes("Alice"), mailbox: bytes("alice"), host: bytes("example.org"))],
            sender: [EnvelopeAddress(name: bytes("Alice"), mailbox: bytes("alice"), host: bytes("example.org"))],
            replyTo: [EnvelopeAddress(name: bytes("Alice"), mailbox: bytes("alice"), host: bytes("example.org"))],
            to: [
                EnvelopeAddress(name: nil, mailbox: bytes("team"), host: nil),
                EnvelopeAddress(name: nil, mailbox: bytes("bob"), host: bytes("example.net")),
                EnvelopeAddress(name: nil, mailbox: nil, host: nil),
            ],
            messageID: bytes("<1@example.org>")
        )
        #expect(
            encoded(.untagged(.fetch(1, [.envelope(envelope)])))
                == "* 1 FETCH (ENVELOPE (\"Tue, 5 Mar 2024 10:20:30 +0100\" {12}\r\nCaf\u{e9} \"menu\""
                + " ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\"))"
                + " ((\"Alice\" NIL \"alice\" \"example.org\")) ((NIL NIL \"team\" NIL)(NIL NIL \"bob\" \"example.net\")(NIL NIL NIL NIL))"
                + " NIL NIL NIL \"<1@example.org>\"))\r\n"
        )
    }

    @Test func bodyStructureWithExtensionsAndNestedMessage() {
        let text = BodyStructure.singlepart(
            .init(
                type: "TEXT",
                subtype: "PLAIN",
                parameters: [.init("CHARSET", bytes("utf-8"))],
                encoding: "QUOTED-PRINTABLE",
                size: 120,
                kind: .text(lines: 4)
            )
        )
        let attachment = BodyStructure.singlepart(
            .init(
                type: "APPLICATION",
                subtype: "PDF",
                parameters: [.init("NAME", bytes("a.pdf"))],
                encoding: "BASE64",
                size: 2048,
                ext: .init(disposition: .init(type: "ATTACHMENT", parameters: [.init("FILENAME", bytes("a.pdf"))]))
            )
        )
        let inner = BodyStructure.singlepart(
            .init(
                type: "TEXT",
                subtype: "PLAIN",
                parameters: [.init("CHARSET", bytes("us-ascii"))],
                size: 5,
                kind: .text(lines: 1)
            )
        )
        let message = BodyStructure.singlepart(
            .init(
                type: "MESSAGE",
                subtype: "RFC822",
                size: 300,
                kind: .message(Envelope(subject: bytes("inner")), inner, lines: 9)
            )
        )
        let mixed = BodyStructure.multipart(
            .init(
                parts: [text, attachment, message],
                subtype: "MIXED",
                parameters: [.init("BOUNDARY", bytes("xyz"))]
            )
        )
        #expect(
            encoded(.untagged(.fetch(1, [.bodyStructure(mixed)])))
                == "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 120 4 NIL NIL NIL NIL)"
                + "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 2048 NIL (\"ATTACHMENT\" (\"FILENAME\" \"a.pdf\")) NIL NIL)"
                + "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 300 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL)"
                + " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL) 9 NIL NIL NIL NIL)"
                + " \"MIXED\" (\"BOUNDARY\" \"xyz\") NIL NIL NIL))\r\n"
        )
        #expect(
            encoded(.untagged(.fetch(1, [.body(mixed)])))
                == "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 120 4)"
                + "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 2048)"
                + "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 300 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL)"
                + " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 1) 9) \"MIXED\"))\r\n"
        )
    }

    @Test func modifiedUTF7RoundTrips() {
        for name in ["INBOX", "Caf\u{e9}", "日本語", "a&b", "~peter/mail/台北/日本語", "😀 emoji", "&"] {
            #expect(ModifiedUTF7.decodeStrict(ModifiedUTF7.encode(name)) == name, "\(name)")
        }
        #expect(String(decoding: ModifiedUTF7.encode("a&b"), as: UTF8.self) == "a&-b")
        #expect(
            String(decoding: ModifiedUTF7.encode("~peter/mail/台北/日本語"), as: UTF8.self)
                == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        )
        #expect(ModifiedUTF7.decodeStrict(bytes("&AGE-")) == nil)
        #expect(ModifiedUTF7.decodeStrict(bytes("&Jjo!")) == nil)
        #expect(ModifiedUTF7.decode(bytes("Caf\u{e9}")) == "Caf\u{e9}")
    }
}
