import MailTestSupport
import Testing

@testable import IMAPServer

private func fetchAttributes(_ text: String) -> [FetchAttribute]? {
    if case .fetch(_, let attributes, _, _) = command(text) { return attributes }
    return nil
}

private func searchKey(_ text: String) -> SearchKey? {
    if case .search(let search, _) = command(text) { return search.key }
    return nil
}

@Suite(.offThePool) struct FetchParserTests {
    @Test func macros() {
        #expect(fetchAttributes("a FETCH 1 ALL") == [.flags, .internalDate, .rfc822Size, .envelope])
        #expect(fetchAttributes("a FETCH 1 FAST") == [.flags, .internalDate, .rfc822Size])
        #expect(fetchAttributes("a FETCH 1 full") == [.flags, .internalDate, .rfc822Size, .envelope, .body])
    }

    @Test func simpleAttributes() {
        #expect(
            fetchAttributes(
                "a FETCH 1 (UID RFC822.SIZE FLAGS INTERNALDATE ENVELOPE BODY BODYSTRUCTURE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ)"
            )
                == [
                    .uid, .rfc822Size, .flags, .internalDate, .envelope, .body, .bodyStructure, .rfc822, .rfc822Header,
                    .rfc822Text, .modSeq,
                ]
        )
        #expect(fetchAttributes("a FETCH 1 UID") == [.uid])
        #expect(badReason("a FETCH 1 (UIDX)") == "Unknown FETCH attribute")
        #expect(badReason("a FETCH 1 (FOO)") == "Unknown FETCH attribute FOO")
    }

    @Test func bodySections() {
        #expect(fetchAttributes("a FETCH 1 BODY[]") == [.bodySection(BodySection(), peek: false, partial: nil)])
        #expect(
            fetchAttributes("a FETCH 1 BODY.PEEK[]<0.2048>")
                == [.bodySection(BodySection(), peek: true, partial: PartialRange(offset: 0, length: 2048))]
        )
        #expect(
            fetchAttributes(
                "a FETCH 1 (BODY[HEADER] BODY[TEXT] BODY[1] BODY[1.2.3] BODY[2.MIME] BODY[3.HEADER] BODY[1.TEXT])"
            )
                == [
                    .bodySection(BodySection(kind: .header), peek: false, partial: nil),
                    .bodySection(BodySection(kind: .text), peek: false, partial: nil),
                    .bodySection(BodySection(part: [1]), peek: false, partial: nil),
                    .bodySection(BodySection(part: [1, 2, 3]), peek: false, partial: nil),
                    .bodySection(BodySection(part: [2], kind: .mime), peek: false, partial: nil),
                    .bodySection(BodySection(part: [3], kind: .header), peek: false, partial: nil),
                    .bodySection(BodySection(part: [1], kind: .text), peek: false, partial: nil),
                ]
        )
        #expect(badReason("a FETCH 1 BODY[MIME]") == "Invalid section")
        #expect(badReason("a FETCH 1 BODY[0]") == "Expected a non-zero number")
        #expect(badReason("a FETCH 1 BODY[]<0.0>") == "Expected a non-zero number")
    }

    @Test func thunderbirdHeaderFetch() {
        let line =
            "a UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date "
            + "Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])"
        let names = [
            "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Priority", "X-Priority", "References",
            "Newsgroups", "In-Reply-To", "Content-Type", "Reply-To",
        ]
        #expect(
            command(line)
                == .fetch(
                    .all,
                    [
                        .uid, .rfc822Size, .flags,
                        .bodySection(BodySection(kind: .headerFields(names)), peek: true, partial: nil),
                    ],
                    changedSince: nil,
                    uid: true
                )
        )
        #expect(
            fetchAttributes(#"a FETCH 1 BODY[1.HEADER.FIELDS.NOT ("X-Spam" Received)]"#)
                == [
                    .bodySection(
                        BodySection(part: [1], kind: .headerFieldsNot(["X-Spam", "Received"])),
                        peek: false,
                        partial: nil
                    )
                ]
        )
        #expect(BodySection(kind: .headerFields(["From", "to"])).specifier == "HEADER.FIELDS (FROM TO)")
    }

    @Test func changedSinceImpliesModSeq() {
        #expect(
            command("a FETCH 1:* (FLAGS) (CHANGEDSINCE 42)")
                == .fetch(.all, [.flags, .modSeq], changedSince: 42, uid: false)
        )
    }
}

@Suite(.offThePool) struct SearchParserTests {
    @Test func everyKey() {
        let keys: [(String, SearchKey)] = [
            ("ALL", .all), ("ANSWERED", .flag(.answered, set: true)), ("DELETED", .flag(.deleted, set: true)),
            ("DRAFT", .flag(.draft, set: true)), ("FLAGGED", .flag(.flagged, set: true)),
            ("SEEN", .flag(.seen, set: true)),
            ("UNANSWERED", .flag(.answered, set: false)), ("UNDELETED", .flag(.deleted, set: false)),
            ("UNDRAFT", .flag(.draft, set: false)), ("UNFLAGGED", .flag(.flagged, set: false)),
            ("UNSEEN", .flag(.seen, set: false)), ("NEW", .new), ("OLD", .old), ("RECENT", .recent),
            ("KEYWORD $Junk", .flag(Flag("$Junk"), set: true)), ("UNKEYWORD $Junk", .flag(Flag("$Junk"), set: false)),
            ("BCC bob", .bcc("bob")), ("BODY \"two words\"", .body("two words")), ("CC x", .cc("x")),
            ("FROM alice", .from("alice")), ("SUBJECT {5}\r\nhello", .subject("hello")), ("TEXT t", .text("t")),
            ("TO carol", .to("carol")), ("HEADER X-Mailer mutt", .header(field: "X-Mailer", value: "mutt")),
            ("BEFORE 1-Feb-2024", .before(SearchDate(year: 2024, month: 2, day: 1))),
            ("ON \"01-Feb-2024\"", .on(SearchDate(year: 2024, month: 2, day: 1))),
            ("SINCE 1-feb-2024", .since(SearchDate(year: 2024, month: 2, day: 1))),
            ("SENTBEFORE 1-Feb-2024", .sentBefore(SearchDate(year: 2024, month: 2, day: 1))),
            ("SENTON 1-Feb-2024", .sentOn(SearchDate(year: 2024, month: 2, day: 1))),
            ("SENTSINCE 1-Feb-2024", .sentSince(SearchDate(year: 2024, month: 2, day: 1))),
            ("LARGER 100", .larger(100)), ("SMALLER 5", .smaller(5)),
            ("UID 1:*", .uid(.all)), ("1:*", .sequenceSet(.all)), ("MODSEQ 7", .modSeq(7)),
            ("NOT SEEN", .not(.flag(.seen, set: true))),
            ("OR SEEN FLAGGED", .or(.flag(.seen, set: true), .flag(.flagged, set: true))),
        ]
        for (text, key) in keys {
            #expect(searchKey("a SEARCH \(text)") == key, "\(text)")
        }
    }

    @Test func nestedAndCharset() {
        #expect(
            command("a UID SEARCH CHARSET utf-8 OR (FROM a SUBJECT b) NOT (UNSEEN) DELETED")
                == .search(
                    SearchCommand(
                        charset: "UTF-8",
                        key: .and([
                            .or(.and([.from("a"), .subject("b")]), .not(.flag(.seen, set: false))),
                            .flag(.deleted, set: true),
                        ])
                    ),
                    uid: true
                )
        )
        #expect(
            command("a SEARCH RETURN (MIN COUNT) UNSEEN")
                == .search(SearchCommand(key: .flag(.seen, set: false), returnOptions: [.min, .count]), uid: false)
        )
        #expect(command("a SEARCH RETURN () ALL") == .search(SearchCommand(key: .all, returnOptions: []), uid: false))
    }

    @Test func badSearches() {
        #expect(badReason("a SEARCH") != nil)
        #expect(badReason("a SEARCH FOO") == "Unknown search key FOO")
        #expect(badReason("a SEARCH (SEEN") == "Expected ')' closing the search key list")
        #expect(badReason("a SEARCH BEFORE 32-Jan-2024") == "Invalid date")
        let deep = String(repeating: "(", count: 40) + "ALL" + String(repeating: ")", count: 40)
        #expect(badReason("a SEARCH \(deep)") == "Too deeply nested")
    }
}
