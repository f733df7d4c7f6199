extension IMAPParser {
    // fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    //         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
    // fetch-modifiers = SP "(" "CHANGEDSINCE" SP mod-sequence-valzer ")"   (RFC 7162 §3.1.4)
    mutating func fetchArguments(uid: Bool) throws -> IMAPCommand {
        try space()
        let set = try sequenceSet()
        try space()
        var attributes: [FetchAttribute]
        if consumeKeyword("ALL") {
            attributes = FetchAttribute.all
        } else if consumeKeyword("FULL") {
            attributes = FetchAttribute.full
        } else if consumeKeyword("FAST") {
            attributes = FetchAttribute.fast
        } else if consume(UInt8(ascii: "(")) {
            attributes = []
            repeat { attributes.append(try fetchAttribute()) } while consume(.space)
            try expect(UInt8(ascii: ")"), "')' closing the FETCH attributes")
        } else {
            attributes = [try fetchAttribute()]
        }
        var changedSince: UInt64?
        if consume(.space) {
            try expect(UInt8(ascii: "("), "'(' starting FETCH modifiers")
            guard consumeKeyword("CHANGEDSINCE") else { throw IMAPParseError("Unknown FETCH modifier") }
            try space()
            changedSince = try number64()
            try expect(UInt8(ascii: ")"), "')' closing FETCH modifiers")
        }
        // RFC 7162 §3.2: CHANGEDSINCE implies MODSEQ in the response.
        if changedSince != nil, !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        return .fetch(set, attributes, changedSince: changedSince, uid: uid)
    }

    // fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
    //             "BODY" ["STRUCTURE"] / "UID" / "BODY" section ["<" number "." nz-number ">"] /
    //             "BODY.PEEK" section ["<" number "." nz-number ">"] / "MODSEQ" (RFC 7162)
    mutating func fetchAttribute() throws -> FetchAttribute {
        // Longest keywords first: "BODY.PEEK[" before "BODY[" before "BODYSTRUCTURE" before "BODY".
        if consumeKeyword("BODY.PEEK[") { return try bodySectionAttribute(peek: true) }
        if consumeKeyword("BODY[") { return try bodySectionAttribute(peek: false) }
        if consumeKeyword("BODYSTRUCTURE") { return try delimited(.bodyStructure) }
        if consumeKeyword("BODY") { return try delimited(.body) }
        if consumeKeyword("RFC822.HEADER") { return try delimited(.rfc822Header) }
        if consumeKeyword("RFC822.SIZE") { return try delimited(.rfc822Size) }
        if consumeKeyword("RFC822.TEXT") { return try delimited(.rfc822Text) }
        if consumeKeyword("RFC822") { return try delimited(.rfc822) }
        if consumeKeyword("ENVELOPE") { return try delimited(.envelope) }
        if consumeKeyword("FLAGS") { return try delimited(.flags) }
        if consumeKeyword("INTERNALDATE") { return try delimited(.internalDate) }
        if consumeKeyword("UID") { return try delimited(.uid) }
        if consumeKeyword("MODSEQ") { return try delimited(.modSeq) }
        let word = (try? atom()) ?? ""
        throw IMAPParseError("Unknown FETCH attribute \(word.prefix(32))")
    }

    /// Makes sure a keyword ended where the next attribute or the list does.
    private mutating func delimited(_ attribute: FetchAttribute) throws -> FetchAttribute {
        guard isAtEnd || peek == .space || peek == UInt8(ascii: ")") else {
            throw IMAPParseError("Unknown FETCH attribute")
        }
        return attribute
    }

    private mutating func bodySectionAttribute(peek: Bool) throws -> FetchAttribute {
        let section = try sectionSpec()
        try expect(UInt8(ascii: "]"), "']' closing the section")
        var partial: PartialRange?
        if consume(UInt8(ascii: "<")) {
            let offset = try number()
            try expect(UInt8(ascii: "."), "'.' in the partial range")
            let length = try nzNumber()
            try expect(UInt8(ascii: ">"), "'>' closing the partial range")
            partial = PartialRange(offset: offset, length: length)
        }
        return try delimited(.bodySection(section, peek: peek, partial: partial))
    }

    // section-spec = section-msgtext / (section-part ["." section-text])
    // section-part = nz-number *("." nz-number)
    // section-text = section-msgtext / "MIME"
    // section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    mutating func sectionSpec() throws -> BodySection {
        var part: [Int] = []
        while peek?.isASCIIDigit == true {
            part.append(Int(try nzNumber()))
            guard consume(UInt8(ascii: ".")) else { return BodySection(part: part, kind: .complete) }
            if peek?.isASCIIDigit != true { break }
        }
        if peek == UInt8(ascii: "]") {
            guard part.isEmpty else { throw IMAPParseError("Invalid section") }
            return BodySection()
        }
        if consumeKeyword("HEADER.FIELDS.NOT") {
            try space()
            return BodySection(part: part, kind: .headerFieldsNot(try headerList()))
        }
        if consumeKeyword("HEADER.FIELDS") {
            try space()
            return BodySection(part: part, kind: .headerFields(try headerList()))
        }
        if consumeKeyword("HEADER") { return BodySection(part: part, kind: .header) }
        if consumeKeyword("TEXT") { return BodySection(part: part, kind: .text) }
        if !part.isEmpty, consumeKeyword("MIME") { return BodySection(part: part, kind: .mime) }
        throw IMAPParseError("Invalid section")
    }

    // header-list = "(" header-fld-name *(SP header-fld-name) ")" ; header-fld-name = astring
    mutating func headerList() throws -> [String] {
        try expect(UInt8(ascii: "("), "'(' starting the header list")
        var names: [String] = []
        repeat { names.append(try astringText()) } while consume(.space)
        try expect(UInt8(ascii: ")"), "')' closing the header list")
        return names
    }
}
