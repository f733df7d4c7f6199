/// Typed access to the RFC 5322 3.6 fields most callers need.
extension MessageHeader {
    /// Subject with encoded words decoded (RFC 5322 3.6.5, RFC 2047).
    public var subject: String? { field(named: "Subject")?.decodedValue }

    /// The From mailboxes (RFC 5322 3.6.2).
    public var from: [Mailbox] { addresses(named: "From").flatMap(\.mailboxes) }

    /// The To addresses (RFC 5322 3.6.3).
    public var to: [Address] { addresses(named: "To") }

    /// The Cc addresses (RFC 5322 3.6.3).
    public var cc: [Address] { addresses(named: "Cc") }

    /// The Message-ID as written, angle brackets included (RFC 5322 3.6.4).
    public var messageID: String? { self["Message-ID"] }

    /// The message identifiers in In-Reply-To (RFC 5322 3.6.4), each with angle brackets.
    public var inReplyTo: [String] { messageIDs(in: "In-Reply-To") }

    /// The message identifiers in References (RFC 5322 3.6.4), each with angle brackets.
    public var references: [String] { messageIDs(in: "References") }

    /// `<id>` tokens of every field called `name`; comments and other text between them are skipped.
    public func messageIDs(in name: String) -> [String] {
        var result: [String] = []
        for field in fields(named: name) {
            let bytes = field.unfoldedValue
            var index = 0
            while index < bytes.count {
                if bytes[index] == ASCII.openParen {
                    index = HeaderLexer.skipComment(bytes[...], from: index)
                    continue
                }
                if bytes[index] == ASCII.lessThan,
                    let close = bytes[index...].firstIndex(of: ASCII.greaterThan)
                {
                    let id = bytes[index...close].filter { !ASCII.isWhitespaceOrNewline($0) }
                    result.append(String(decoding: id, as: UTF8.self))
                    index = close + 1
                    continue
                }
                index += 1
            }
        }
        return result
    }
}
