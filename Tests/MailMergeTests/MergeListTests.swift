import Testing

@testable import MailMerge

/// The CSV list: the original's two columns without a header, header rows, RFC 4180 quoting, BOM, bad rows.
struct MergeListTests {
    @Test func originalTwoColumnsWithoutHeader() throws {
        let list = try MergeList(text: "Ann Lee,ann@x.test\nBo,bo@x.test\n")
        #expect(!list.hasHeaderRow)
        #expect(list.columns == ["name", "email"])
        #expect(list.rows.map(\.address) == ["ann@x.test", "bo@x.test"])
        #expect(list.rows.map(\.number) == [1, 2])
        #expect(list.rows[0].fields == ["name": "Ann Lee", "email": "ann@x.test"])
    }

    @Test func headerRowMakesEveryColumnAField() throws {
        let list = try MergeList(text: "First Name,E-mail,city\r\nAnn,ann@x.test,Quito\r\n")
        #expect(list.hasHeaderRow)
        #expect(list.addressColumn == "E-mail")
        #expect(list.rows.count == 1)
        #expect(list.rows[0].fields["city"] == "Quito")
        #expect(list.rows[0].number == 1)
    }

    @Test func aFirstRowWithAnAddressIsData() throws {
        // "email" as a name, a real address beside it: not a header.
        let list = try MergeList(text: "email,email@x.test\n")
        #expect(!list.hasHeaderRow)
        #expect(list.rows[0].address == "email@x.test")
    }

    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let list = try MergeList(text: "name,email,note\n\"Lee, Ann\",ann@x.test,\"said \"\"hi\"\"\nthen left\"\n")
        #expect(list.rows[0].fields["name"] == "Lee, Ann")
        #expect(list.rows[0].fields["note"] == "said \"hi\"\nthen left")
    }

    @Test func byteOrderMarkAndUTF8() throws {
        let list = try MergeList(text: "\u{FEFF}email,name\nzoe@x.test,Zoë Ñúñez\n")
        #expect(list.hasHeaderRow)
        #expect(list.columns == ["email", "name"])
        #expect(list.rows[0].fields["name"] == "Zoë Ñúñez")
    }

    @Test func badAddressesAreReportedWithTheirRow() throws {
        let list = try MergeList(text: "Ann,ann@x.test\nNo At,no-at.test\nEmpty,\nSpace,a b@x.test\nBo,bo@x.test\n")
        #expect(
            list.rows.map(\.problem) == [
                nil, "the address has no @", "the address is empty",
                "the address contains spaces or control characters", nil,
            ]
        )
        #expect(list.rows.map(\.number) == [1, 2, 3, 4, 5])
    }

    @Test func blankLinesAreSkipped() throws {
        let list = try MergeList(text: "Ann,ann@x.test\n\n\nBo,bo@x.test\n")
        #expect(list.rows.map(\.number) == [1, 2])
    }

    @Test func emptyListIsAnError() {
        #expect(throws: MergeList.Failure.empty) { try MergeList(text: "\n\n") }
    }

    @Test func addressChecks() {
        #expect(RecipientAddress.isValid("a.b+tag@sub.example.org"))
        #expect(RecipientAddress.isValid("josé@exámple.org"))
        #expect(RecipientAddress.problem(with: "a@-x.org") == "the address is not a valid mailbox (RFC 5321)")
        #expect(RecipientAddress.problem(with: "a..b@x.org") == "the address is not a valid mailbox (RFC 5321)")
        #expect(RecipientAddress.problem(with: "@x.org") == "the address has nothing before the @")
        #expect(RecipientAddress.problem(with: "a@") == "the address has no domain after the @")
        // The `@` is found even when a combining mark follows it (MailCore's scalar split).
        #expect(RecipientAddress.problem(with: "t@\u{30C}") != "the address has no @")
    }
}
