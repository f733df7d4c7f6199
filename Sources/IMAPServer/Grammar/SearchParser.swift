extension IMAPParser {
    // search = "SEARCH" [search-return-opts] [SP "CHARSET" SP astring] 1*(SP search-key)
    // search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"  (RFC 4731)
    mutating func searchArguments(uid: Bool) throws -> IMAPCommand {
        try space()
        var returnOptions: [SearchCommand.ReturnOption]?
        if consumeKeyword("RETURN ") {
            try expect(UInt8(ascii: "("), "'(' starting SEARCH return options")
            var options: [SearchCommand.ReturnOption] = []
            if !consume(UInt8(ascii: ")")) {
                repeat {
                    let word = try atom().uppercased()
                    guard let option = SearchCommand.ReturnOption(rawValue: word) else {
                        throw IMAPParseError("Unknown SEARCH return option \(word.prefix(32))")
                    }
                    options.append(option)
                } while consume(.space)
                try expect(UInt8(ascii: ")"), "')' closing SEARCH return options")
            }
            returnOptions = options
            try space()
        }
        var charset: String?
        if consumeKeyword("CHARSET ") {
            charset = try astringText().uppercased()
            try space()
        }
        var keys: [SearchKey] = [try searchKey()]
        while consume(.space) { keys.append(try searchKey()) }
        let key = keys.count == 1 ? keys[0] : .and(keys)
        return .search(SearchCommand(charset: charset, key: key, returnOptions: returnOptions), uid: uid)
    }

    // search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring /
    //   "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring / "KEYWORD" SP flag-keyword /
    //   "NEW" / "OLD" / "ON" SP date / "RECENT" / "SEEN" / "SINCE" SP date / "SUBJECT" SP astring /
    //   "TEXT" SP astring / "TO" SP astring / "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
    //   "UNKEYWORD" SP flag-keyword / "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
    //   "LARGER" SP number / "NOT" SP search-key / "OR" SP search-key SP search-key /
    //   "SENTBEFORE" SP date / "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number /
    //   "UID" SP sequence-set / "UNDRAFT" / sequence-set / "(" search-key *(SP search-key) ")"
    //   (RFC 3501 §9); "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162)
    mutating func searchKey() throws -> SearchKey {
        if consume(UInt8(ascii: "(")) {
            return try nested { parser in
                var keys: [SearchKey] = [try parser.searchKey()]
                while parser.consume(.space) { keys.append(try parser.searchKey()) }
                try parser.expect(UInt8(ascii: ")"), "')' closing the search key list")
                return keys.count == 1 ? keys[0] : .and(keys)
            }
        }
        if peek == UInt8(ascii: "*") || peek?.isASCIIDigit == true { return .sequenceSet(try sequenceSet()) }
        let word = try atom().uppercased()
        switch word {
        case "ALL": return .all
        case "ANSWERED": return .flag(.answered, set: true)
        case "DELETED": return .flag(.deleted, set: true)
        case "FLAGGED": return .flag(.flagged, set: true)
        case "SEEN": return .flag(.seen, set: true)
        case "DRAFT": return .flag(.draft, set: true)
        case "UNANSWERED": return .flag(.answered, set: false)
        case "UNDELETED": return .flag(.deleted, set: false)
        case "UNFLAGGED": return .flag(.flagged, set: false)
        case "UNSEEN": return .flag(.seen, set: false)
        case "UNDRAFT": return .flag(.draft, set: false)
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "KEYWORD", "UNKEYWORD":
            try space()
            return .flag(Flag(try atom()), set: word == "KEYWORD")
        case "BCC": return .bcc(try searchString())
        case "BODY": return .body(try searchString())
        case "CC": return .cc(try searchString())
        case "FROM": return .from(try searchString())
        case "SUBJECT": return .subject(try searchString())
        case "TEXT": return .text(try searchString())
        case "TO": return .to(try searchString())
        case "HEADER":
            try space()
            let field = try astringText()
            return .header(field: field, value: try searchString())
        case "BEFORE": return .before(try spacedDate())
        case "ON": return .on(try spacedDate())
        case "SINCE": return .since(try spacedDate())
        case "SENTBEFORE": return .sentBefore(try spacedDate())
        case "SENTON": return .sentOn(try spacedDate())
        case "SENTSINCE": return .sentSince(try spacedDate())
        case "LARGER", "SMALLER":
            try space()
            let size = try number64()
            return word == "LARGER" ? .larger(size) : .smaller(size)
        case "UID":
            try space()
            return .uid(try sequenceSet())
        case "NOT":
            try space()
            return .not(try nested { try $0.searchKey() })
        case "OR":
            try space()
            let first = try nested { try $0.searchKey() }
            try space()
            return .or(first, try nested { try $0.searchKey() })
        case "MODSEQ":
            try space()
            if peek == UInt8(ascii: "\"") {
                // entry-name SP entry-type-req: per-flag metadata we do not keep separately.
                _ = try quoted()
                try space()
                _ = try atom()
                try space()
            }
            return .modSeq(try number64())
        default:
            throw IMAPParseError("Unknown search key \(word.prefix(32))")
        }
    }

    private mutating func searchString() throws -> String {
        try space()
        return try astringText()
    }

    private mutating func spacedDate() throws -> SearchDate {
        try space()
        return try searchDate()
    }
}
