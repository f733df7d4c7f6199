/// Why a command could not be parsed; the text goes into the `BAD` answer.
public struct IMAPParseError: Error, Equatable, Sendable {
    /// The text for the `BAD` answer.
    public var reason: String
    /// An error with this reason.
    public init(_ reason: String) { self.reason = reason }
}

/// A cursor over one complete command with the RFC 3501 §9 primitives, on bytes.
///
/// The command is as the framer delivers it: lines joined with their literals, without the final CRLF. Works on bytes: literals stay 8-bit data.
struct IMAPParser {
    let bytes: [UInt8]
    var index: Int = 0
    var depth = 0
    /// Set when a literal was the framer's marker `{id*}` for an APPEND literal streamed to a file.
    var streamedLiteralID: UInt32?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func expectEnd() throws {
        guard isAtEnd else { throw IMAPParseError("Unexpected characters at the end of the command") }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard consume(byte) else { throw IMAPParseError("Expected \(what)") }
    }

    mutating func space() throws { try expect(.space, "a space") }

    /// Consumes `word` case-insensitively if the input continues with it.
    mutating func consumeKeyword(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count else { return false }
        for (offset, c) in w.enumerated() where bytes[index + offset].asciiUppercased != c.asciiUppercased {
            return false
        }
        index += w.count
        return true
    }

    // RFC 3501 §9: ATOM-CHAR = <any CHAR except atom-specials>
    // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
    static func isAtomChar(_ c: UInt8) -> Bool {
        c > 0x20 && c < 0x7F && c != UInt8(ascii: "(") && c != UInt8(ascii: ")") && c != UInt8(ascii: "{")
            && c != UInt8(ascii: "%") && c != UInt8(ascii: "*") && c != UInt8(ascii: "\"")
            && c != UInt8(ascii: "\\") && c != UInt8(ascii: "]")
    }

    // ASTRING-CHAR = ATOM-CHAR / resp-specials
    static func isAstringChar(_ c: UInt8) -> Bool { isAtomChar(c) || c == UInt8(ascii: "]") }

    // list-char = ATOM-CHAR / list-wildcards / resp-specials
    static func isListChar(_ c: UInt8) -> Bool {
        isAstringChar(c) || c == UInt8(ascii: "%") || c == UInt8(ascii: "*")
    }

    mutating func take(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, predicate(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    // atom = 1*ATOM-CHAR
    mutating func atom() throws -> String {
        let run = take(while: Self.isAtomChar)
        guard !run.isEmpty else { throw IMAPParseError("Expected an atom") }
        return String(decoding: run, as: UTF8.self)
    }

    // tag = 1*<any ASTRING-CHAR except "+">
    mutating func tag() throws -> String {
        let run = take { Self.isAstringChar($0) && $0 != UInt8(ascii: "+") }
        guard !run.isEmpty else { throw IMAPParseError("Missing or invalid tag") }
        return String(decoding: run, as: UTF8.self)
    }

    // number = 1*DIGIT ; unsigned 32-bit integer
    mutating func number() throws -> UInt32 {
        guard let value = UInt32(exactly: try number64()) else { throw IMAPParseError("Number too large") }
        return value
    }

    // number64 = 1*DIGIT ; unsigned 63-bit integer (RFC 9051)
    mutating func number64() throws -> UInt64 {
        let run = take(while: \.isASCIIDigit)
        guard !run.isEmpty else { throw IMAPParseError("Expected a number") }
        guard run.count <= 19, let value = UInt64(String(decoding: run, as: UTF8.self)), value <= UInt64(Int64.max)
        else { throw IMAPParseError("Number too large") }
        return value
    }

    // nz-number = digit-nz *DIGIT
    mutating func nzNumber() throws -> UInt32 {
        let value = try number()
        guard value > 0 else { throw IMAPParseError("Expected a non-zero number") }
        return value
    }

    // string = quoted / literal
    mutating func string() throws -> [UInt8] {
        if peek == UInt8(ascii: "\"") { return try quoted() }
        if peek == UInt8(ascii: "{") { return try literal() }
        throw IMAPParseError("Expected a quoted string or a literal")
    }

    // quoted = DQUOTE *QUOTED-CHAR DQUOTE
    // QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials  (RFC 9051 adds UTF8-2..4)
    mutating func quoted() throws -> [UInt8] {
        try expect(UInt8(ascii: "\""), "a quoted string")
        var result: [UInt8] = []
        while let c = peek {
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard let next = peek, next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                    throw IMAPParseError("Invalid escape in quoted string")
                }
                index += 1
                result.append(next)
            case .cr, .lf, 0:
                throw IMAPParseError("Line break or NUL in quoted string")
            default:
                result.append(c)
            }
        }
        throw IMAPParseError("Unterminated quoted string")
    }

    // literal = "{" number ["+"] "}" CRLF *CHAR8   (RFC 3501 §9, "+" from RFC 7888)
    mutating func literal() throws -> [UInt8] {
        try expect(UInt8(ascii: "{"), "a literal")
        let count = Int(try number())
        if consume(UInt8(ascii: "*")) {
            try expect(UInt8(ascii: "}"), "'}' closing the literal size")
            try expect(.cr, "CRLF after the literal size")
            try expect(.lf, "CRLF after the literal size")
            streamedLiteralID = UInt32(count)
            return []
        }
        _ = consume(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"), "'}' closing the literal size")
        try expect(.cr, "CRLF after the literal size")
        try expect(.lf, "CRLF after the literal size")
        guard index + count <= bytes.count else { throw IMAPParseError("Literal shorter than announced") }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    // astring = 1*ASTRING-CHAR / string
    mutating func astring() throws -> [UInt8] {
        if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "{") { return try string() }
        let run = take(while: Self.isAstringChar)
        guard !run.isEmpty else { throw IMAPParseError("Expected an atom or a string") }
        return Array(run)
    }

    mutating func astringText() throws -> String { String(decoding: try astring(), as: UTF8.self) }

    // nstring = string / nil
    mutating func nstring() throws -> [UInt8]? {
        if consumeKeyword("NIL") { return nil }
        return try string()
    }

    // mailbox = "INBOX" / astring  (names in modified UTF-7, RFC 3501 §5.1.3; UTF-8 accepted as RFC 9051 does)
    mutating func mailbox() throws -> IMAPMailboxName {
        IMAPMailboxName(ModifiedUTF7.decode(try astring()))
    }

    // list-mailbox = 1*list-char / string
    mutating func listMailbox() throws -> String {
        if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "{") { return ModifiedUTF7.decode(try string()) }
        let run = take(while: Self.isListChar)
        guard !run.isEmpty else { throw IMAPParseError("Expected a mailbox pattern") }
        return ModifiedUTF7.decode(Array(run))
    }

    // flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
    // flag-extension = "\" atom
    mutating func flag() throws -> Flag {
        if consume(UInt8(ascii: "\\")) { return Flag("\\" + (try atom())) }
        return Flag(try atom())
    }

    // flag-list = "(" [flag *(SP flag)] ")"
    mutating func flagList() throws -> [Flag] {
        try expect(UInt8(ascii: "("), "'(' starting a flag list")
        var flags: [Flag] = []
        if consume(UInt8(ascii: ")")) { return flags }
        repeat { flags.append(try flag()) } while consume(.space)
        try expect(UInt8(ascii: ")"), "')' closing the flag list")
        return flags
    }

    /// Flags for STORE: a parenthesised list or (RFC 3501 §9 `store-att-flags`) a bare list.
    mutating func storeFlags() throws -> [Flag] {
        if peek == UInt8(ascii: "(") { return try flagList() }
        var flags: [Flag] = [try flag()]
        while consume(.space) { flags.append(try flag()) }
        return flags
    }

    // sequence-set = (seq-number / seq-range) ["," sequence-set]
    // seq-range = seq-number ":" seq-number ; either order
    // seq-number = nz-number / "*"
    mutating func sequenceSet() throws -> SequenceSet {
        var ranges: [SequenceSet.Range] = []
        repeat {
            let first = try seqNumber()
            let second = consume(UInt8(ascii: ":")) ? try seqNumber() : first
            ranges.append(.init(first, second))
        } while consume(UInt8(ascii: ","))
        return SequenceSet(ranges)
    }

    mutating func seqNumber() throws -> SequenceNumber {
        if consume(UInt8(ascii: "*")) { return .last }
        guard peek?.isASCIIDigit == true else { throw IMAPParseError("Invalid sequence set") }
        return .number(try nzNumber())
    }

    /// Runs `body` one nesting level deeper, refusing input nested beyond `IMAPDefaults.maxNestingDepth`.
    mutating func nested<T>(_ body: (inout IMAPParser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= IMAPDefaults.maxNestingDepth else { throw IMAPParseError("Too deeply nested") }
        return try body(&self)
    }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    var asciiUppercased: UInt8 { self >= 0x61 && self <= 0x7A ? self - 0x20 : self }
}
