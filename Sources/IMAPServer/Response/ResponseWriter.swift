/// Builds response bytes with the RFC 3501 §4 data formats, choosing the representation of each string:
/// atom-safe text as is where the grammar allows an atom, 7-bit text without CR/LF as a quoted string,
/// anything else (8-bit, CR, LF, NUL, or very long) as a literal, so any byte sequence round-trips.
struct ResponseWriter {
    var bytes: [UInt8] = []

    /// Longest string sent quoted; longer ones go as literals, which clients read without scanning.
    static let maxQuotedLength = 1024

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
    mutating func space() { bytes.append(.space) }
    mutating func crlf() { bytes.append(contentsOf: [.cr, .lf]) }

    // string = quoted / literal
    mutating func string(_ data: some Collection<UInt8>) {
        if Self.isQuotable(data) {
            bytes.append(UInt8(ascii: "\""))
            for c in data {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(c)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            literal(data)
        }
    }

    mutating func string(_ text: String) { string(Array(text.utf8)) }

    // literal = "{" number "}" CRLF *CHAR8
    mutating func literal(_ data: some Collection<UInt8>) {
        raw("{\(data.count)}\r\n")
        bytes.append(contentsOf: data)
    }

    // nstring = string / nil
    mutating func nstring(_ data: [UInt8]?) {
        if let data { string(data) } else { raw("NIL") }
    }

    // astring = 1*ASTRING-CHAR / string
    mutating func astring(_ data: [UInt8]) {
        if !data.isEmpty, data.allSatisfy(IMAPParser.isAstringChar) {
            bytes.append(contentsOf: data)
        } else {
            string(data)
        }
    }

    // mailbox = "INBOX" / astring, in modified UTF-7
    mutating func mailbox(_ name: IMAPMailboxName) { astring(ModifiedUTF7.encode(name.name)) }

    /// Writes `( item SP item … )`, or `NIL` for nil.
    mutating func list<T>(_ items: [T], _ write: (inout ResponseWriter, T) -> Void) {
        bytes.append(UInt8(ascii: "("))
        for (i, item) in items.enumerated() {
            if i > 0 { space() }
            write(&self, item)
        }
        bytes.append(UInt8(ascii: ")"))
    }

    // QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
    static func isQuotable(_ data: some Collection<UInt8>) -> Bool {
        data.count <= maxQuotedLength && data.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}
