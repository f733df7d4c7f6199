import MailCore

/// A message being answered by FETCH or SEARCH: its bytes (whole or header only) and, parsed on
/// first use, its MIME tree.
struct LoadedMessage {
    let bytes: [UInt8]
    let headerOnly: Bool
    private var parsedRoot: MIMEPart?
    private var parsedHeader: MessageHeader?

    init(bytes: [UInt8], headerOnly: Bool) {
        self.bytes = bytes
        self.headerOnly = headerOnly
    }

    mutating func root() -> MIMEPart {
        if let parsedRoot { return parsedRoot }
        let root = MIMEPart.parse(bytes)
        parsedRoot = root
        return root
    }

    mutating func header() -> MessageHeader {
        if let parsedHeader { return parsedHeader }
        let header = headerOnly ? MessageHeader.parse(bytes).header : root().header
        parsedHeader = header
        return header
    }

    /// The header's fields called `name`; without a parsed header at hand, only those are read.
    func fields(named name: String) -> [HeaderField] {
        if let parsedHeader { return parsedHeader.fields(named: name) }
        if let parsedRoot { return parsedRoot.header.fields(named: name) }
        return MessageHeader.fields(named: name, in: bytes)
    }
}

/// Computes FETCH items (RFC 3501 §6.4.5, §7.4.2) for one message.
enum FetchEngine {
    /// What must be read from disk to answer `attributes`.
    enum Need: Comparable {
        case nothing
        case header
        case whole
    }

    static func need(_ attributes: [FetchAttribute]) -> Need {
        attributes.reduce(Need.nothing) { need, attribute in
            let this: Need
            switch attribute {
            case .flags, .internalDate, .rfc822Size, .uid, .modSeq: this = .nothing
            case .envelope, .rfc822Header: this = .header
            case .bodySection(let section, _, _):
                switch section.kind {
                case .header, .headerFields, .headerFieldsNot: this = section.part.isEmpty ? .header : .whole
                default: this = .whole
                }
            case .rfc822, .rfc822Text, .body, .bodyStructure: this = .whole
            }
            return max(need, this)
        }
    }

    /// The data of a body section, or nil when the section does not exist (answered as NIL).
    static func sectionData(_ section: BodySection, in message: inout LoadedMessage) -> [UInt8]? {
        if section.part.isEmpty {
            switch section.kind {
            case .complete: return message.bytes
            case .header: return headerBytes(message.bytes)
            case .headerFields(let names): return HeaderFieldFilter.fields(message.bytes, named: names)
            case .headerFieldsNot(let names):
                let blankLine = endsWithBlankLine(headerBytes(message.bytes))
                return filtered(message.header(), names, keep: false, message.bytes, blankLine: blankLine)
            case .text: return Array(message.root().rawBody(in: message.bytes))
            case .mime: return nil
            }
        }
        let bytes = message.bytes
        guard let part = message.root().part(at: section.part) else { return nil }
        switch section.kind {
        case .complete: return Array(part.rawBody(in: bytes))
        case .mime: return Array(part.rawHeader(in: bytes))
        case .header, .headerFields, .headerFieldsNot, .text:
            // RFC 3501 §6.4.5: HEADER, HEADER.FIELDS and TEXT after a part number need a message/rfc822 part.
            guard let inner = part.encapsulatedMessage else { return nil }
            switch section.kind {
            case .header: return Array(inner.rawHeader(in: bytes))
            case .headerFields(let names): return filtered(inner.header, names, keep: true, bytes)
            case .headerFieldsNot(let names):
                let blankLine = endsWithBlankLine(inner.rawHeader(in: bytes))
                return filtered(inner.header, names, keep: false, bytes, blankLine: blankLine)
            default: return Array(inner.rawBody(in: bytes))
            }
        }
    }

    /// The header section including its blank line.
    static func headerBytes(_ bytes: [UInt8]) -> [UInt8] {
        let parsed = MessageHeader.parse(bytes)
        return Array(bytes[0..<min(parsed.bodyStart, bytes.count)])
    }

    /// True when `header` ends with the blank line that separates it from a body; a header-only
    /// message may end without one.
    static func endsWithBlankLine(_ header: some Collection<UInt8>) -> Bool {
        let bytes = Array(header.suffix(4))
        guard bytes.last == .lf else { return false }
        var index = bytes.count - 2
        if index >= 0, bytes[index] == .cr { index -= 1 }
        // Only a line end before it: an empty header is a blank line alone.
        return index < 0 || bytes[index] == .lf
    }

    /// HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields exactly as sent, then the blank line
    /// (RFC 3501 §6.4.5: the subset of RFC 2822 header fields "and the delimiting blank line").
    ///
    /// `blankLine` false leaves the blank line off, for HEADER.FIELDS.NOT of a header that has none
    /// (a header-only message): like HEADER, it then returns what the message holds, as Dovecot
    /// does. HEADER.FIELDS always ends with the blank line: Dovecot sends it and clients (Thunderbird's
    /// header parsing) expect it.
    static func filtered(
        _ header: MessageHeader,
        _ names: [String],
        keep: Bool,
        _ bytes: [UInt8],
        blankLine: Bool = true
    ) -> [UInt8] {
        var result: [UInt8] = []
        for field in header.fields {
            let matches = !field.isMalformed && names.contains { field.hasName($0) }
            guard matches == keep else { continue }
            if !field.range.isEmpty, field.range.upperBound <= bytes.count {
                result.append(contentsOf: bytes[field.range])
                // Always CRLF: a field from a bare-LF file, or the last one without a line end.
                if result.last != .lf {
                    result.append(contentsOf: [.cr, .lf])
                } else if result.count < 2 || result[result.count - 2] != .cr {
                    result.insert(.cr, at: result.count - 1)
                }
            } else {
                result.append(contentsOf: field.encoded)
            }
        }
        if blankLine { result.append(contentsOf: [.cr, .lf]) }
        return result
    }

    static func partial(_ data: [UInt8], _ range: PartialRange?) -> [UInt8] {
        guard let range else { return data }
        let start = min(Int(range.offset), data.count)
        let end = min(start + Int(range.length), data.count)
        return Array(data[start..<end])
    }

    /// The name a section's data is introduced with: `BODY[1.MIME]` (never `BODY.PEEK`).
    static func sectionName(_ section: BodySection) -> String { "BODY[\(section.specifier)]" }
}
