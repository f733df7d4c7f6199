import Testing

@testable import MailMerge

/// Issue 15: the delimiter comes from the first line (`,` `;` tab), and CSV that is not CSV is an error
/// naming the line, not a row with a bad address.
struct CSVDialectTests {
    @Test(arguments: [
        ("name,email\nAnn,ann@x.test\n", Character(",")),
        ("name;email\nAnn;ann@x.test\n", Character(";")),
        ("name\temail\nAnn\tann@x.test\n", Character("\t")),
        // Spreadsheets in comma-decimal locales: the semicolon wins though a field holds a comma.
        ("name;email;amount\n\"Lee, Ann\";ann@x.test;3,50\n", Character(";")),
        // A quoted comma on the first line does not count.
        ("\"Lee, Ann\";ann@x.test\n", Character(";")),
    ])
    func theDelimiterIsTheOneTheFirstLineUsesMost(text: String, delimiter: Character) throws {
        let list = try MergeList(text: text)
        #expect(list.delimiter == delimiter)
        #expect(list.rows.first?.address == "ann@x.test")
        #expect(list.rows.first?.problem == nil)
    }

    @Test func aSemicolonListWithoutHeaderKeepsTheOriginalColumns() throws {
        let list = try MergeList(text: "Ann Lee;ann@x.test\nBo;bo@x.test\n")
        #expect(list.columns == ["name", "email"])
        #expect(
            list.rows.map(\.fields) == [
                ["name": "Ann Lee", "email": "ann@x.test"], ["name": "Bo", "email": "bo@x.test"],
            ]
        )
    }

    @Test func anUnterminatedQuoteNamesTheLineItOpensOn() {
        let text = "name,email\nAnn,ann@x.test\n\"Bo,bo@x.test\nCy,cy@x.test\n"
        #expect(
            throws: MergeList.Failure.malformed(
                path: nil,
                reason: CSVText.Failure.unterminatedQuote(line: 3).description
            )
        ) {
            try MergeList(text: text)
        }
        #expect(
            MergeList.Failure.malformed(
                path: "list.csv",
                reason: CSVText.Failure.unterminatedQuote(line: 3).description
            )
            .description.hasPrefix("the list list.csv is not valid CSV: line 3: a quoted field starts here")
        )
    }

    @Test func textAfterAClosingQuoteNamesItsLine() {
        #expect(
            throws: MergeList.Failure.malformed(
                path: nil,
                reason: CSVText.Failure.textAfterClosingQuote(line: 2, text: "Lee").description
            )
        ) {
            try MergeList(text: "name,email\n\"Ann\"Lee,ann@x.test\n")
        }
    }

    @Test func rowsKnowTheirLineAcrossQuotedLineBreaks() throws {
        let list = try MergeList(text: "name,email,note\r\nAnn,ann@x.test,\"two\r\nlines\"\r\n\r\nBo,bo@x.test,x\r\n")
        #expect(list.rows.map(\.line) == [2, 5])
        #expect(list.rows[0].fields["note"] == "two\r\nlines")
        #expect(list.rows.map(\.number) == [1, 2])
    }

    @Test func aRowWithAnotherDelimiterSaysSo() throws {
        let list = try MergeList(text: "name,email\nAnn;ann@x.test\n")
        #expect(
            list.rows[0].problem
                == "the address is empty (the row holds \";\", but the list's delimiter, from its first line, is \",\")"
        )
    }

    @Test func aQuoteInsideAnUnquotedFieldIsKeptAsWritten() throws {
        let list = try MergeList(text: "Ann \"the\" Lee,ann@x.test\n")
        #expect(list.rows[0].fields["name"] == "Ann \"the\" Lee")
    }

    @Test func lastLineWithoutNewlineAndOldMacLineEnds() throws {
        #expect(try MergeList(text: "Ann,ann@x.test\rBo,bo@x.test").rows.map(\.address) == ["ann@x.test", "bo@x.test"])
    }
}
