/// RFC 2045 5: `Content-Type: type/subtype; parameters`.
public struct ContentType: Sendable, Hashable {
    /// The media type, lowercased (`text`, `multipart`, `application`…).
    public var type: String
    /// The subtype, lowercased (`plain`, `mixed`, `pdf`…).
    public var subtype: String
    /// The parameters (charset, boundary, name…).
    public var parameters: MIMEParameters

    /// Makes a content type; type and subtype are lowercased.
    public init(type: String, subtype: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Makes a content type from `type/subtype` text plus parameters; nil when there is no slash.
    public init?(_ mimeType: String, parameters: [String: String] = [:]) {
        let pieces = mimeType.split(separator: "/", maxSplits: 1)
        guard pieces.count == 2 else { return nil }
        var list = MIMEParameters()
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { list[name] = value }
        self.init(type: String(pieces[0]), subtype: String(pieces[1]), parameters: list)
    }

    /// RFC 2045 5.2: the default, `text/plain; charset=us-ascii`.
    public static let textPlain = ContentType(
        type: "text",
        subtype: "plain",
        parameters: MIMEParameters([.init(name: "charset", value: "us-ascii")])
    )

    /// RFC 2046 5.1.5: the default inside multipart/digest.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// For parts the parser cannot or will not look into.
    public static let applicationOctetStream = ContentType(type: "application", subtype: "octet-stream")

    /// `type/subtype`.
    public var mimeType: String { "\(type)/\(subtype)" }

    /// The `charset` parameter, if any.
    public var charset: String? { parameters["charset"] }

    /// The `boundary` parameter of a multipart, if any.
    public var boundary: String? { parameters["boundary"] }

    /// The `name` parameter (an old way to give a file name).
    public var name: String? { parameters["name"] }

    /// True for `multipart/*`.
    public var isMultipart: Bool { type == "multipart" }

    /// True for `text/*`.
    public var isText: Bool { type == "text" }

    /// True for `message/rfc822` and RFC 6532 `message/global`: a whole message as the body.
    public var isEncapsulatedMessage: Bool {
        type == "message" && (subtype == "rfc822" || subtype == "global")
    }

    /// Parses a Content-Type value.
    ///
    /// RFC 2045 5.2: an invalid value (no `type/subtype`) gives nil, and
    /// the caller should use the default.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> ContentType? {
        var index = bytes.startIndex
        let end = bytes.endIndex
        func skipSpaceAndComments() {
            while index < end {
                if ASCII.isWhitespaceOrNewline(bytes[index]) {
                    index += 1
                } else if bytes[index] == ASCII.openParen {
                    index = HeaderLexer.skipComment(bytes, from: index)
                } else {
                    return
                }
            }
        }
        func readToken() -> String {
            let start = index
            while index < end, HeaderLexer.isToken(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        skipSpaceAndComments()
        let type = readToken()
        skipSpaceAndComments()
        guard !type.isEmpty, index < end, bytes[index] == ASCII.slash else { return nil }
        index += 1
        skipSpaceAndComments()
        let subtype = readToken()
        guard !subtype.isEmpty else { return nil }
        return ContentType(type: type, subtype: subtype, parameters: MIMEParameters.parse(bytes[index...]))
    }

    /// Parses a Content-Type value given as text.
    public static func parse(_ text: String) -> ContentType? {
        parse(Array(text.utf8)[...])
    }

    /// The header value on one line; `HeaderFolding` folds it between parameters when long.
    public var encoded: String { mimeType + parameters.encoded(fold: false) }
}

/// RFC 2183: `Content-Disposition: inline | attachment; parameters`.
public struct ContentDisposition: Sendable, Hashable {
    /// The disposition type, lowercased (`inline`, `attachment`, or an extension).
    public var type: String
    /// The parameters (filename, size, creation-date…).
    public var parameters: MIMEParameters

    /// Makes a disposition.
    public init(type: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type.lowercased()
        self.parameters = parameters
    }

    /// The `filename` parameter, decoded (RFC 2231 or the RFC 2047 words mailers put there).
    public var filename: String? { parameters["filename"] }

    /// True for `attachment`.
    public var isAttachment: Bool { type == "attachment" }

    /// Parses a Content-Disposition value; nil when it has no type.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> ContentDisposition? {
        let semicolon = bytes.firstIndex(of: ASCII.semicolon) ?? bytes.endIndex
        let typeBytes = bytes[bytes.startIndex..<semicolon].trimmingWhitespace().prefix { HeaderLexer.isToken($0) }
        guard !typeBytes.isEmpty else { return nil }
        return ContentDisposition(
            type: String(decoding: typeBytes, as: UTF8.self),
            parameters: MIMEParameters.parse(bytes[semicolon...])
        )
    }

    /// The header value on one line; `HeaderFolding` folds it between parameters when long.
    public var encoded: String { type + parameters.encoded(fold: false) }
}

/// RFC 2045 6.1: Content-Transfer-Encoding.
public enum ContentTransferEncoding: Sendable, Hashable {
    /// `7bit`, the default: short lines of ASCII.
    case sevenBit
    /// `8bit`: short lines, any byte but NUL.
    case eightBit
    /// `binary`: anything.
    case binary
    /// `base64` (RFC 2045 6.8).
    case base64
    /// `quoted-printable` (RFC 2045 6.7).
    case quotedPrintable
    /// An unknown token, lowercased; RFC 2045 6.4 says to treat such a body as application/octet-stream.
    case other(String)

    /// Reads a token case-insensitively.
    public init(_ token: String) {
        switch token.trimmingWhitespaceAndComments().lowercased() {
        case "7bit", "": self = .sevenBit
        case "8bit": self = .eightBit
        case "binary": self = .binary
        case "base64": self = .base64
        case "quoted-printable": self = .quotedPrintable
        case let other: self = .other(other)
        }
    }

    /// The token as written on the wire.
    public var name: String {
        switch self {
        case .sevenBit: return "7bit"
        case .eightBit: return "8bit"
        case .binary: return "binary"
        case .base64: return "base64"
        case .quotedPrintable: return "quoted-printable"
        case .other(let token): return token
        }
    }

    /// True when the body needs no decoding.
    public var isIdentity: Bool {
        switch self {
        case .sevenBit, .eightBit, .binary: return true
        default: return false
        }
    }

    /// Decodes a body written in this encoding; identity encodings and unknown ones return it as is.
    public func decode(_ body: some Collection<UInt8>) -> [UInt8] {
        switch self {
        case .base64: return Base64.decode(body)
        case .quotedPrintable: return QuotedPrintable.decode(body)
        default: return Array(body)
        }
    }
}

extension String {
    /// Drops surrounding whitespace and any `(comment)`.
    func trimmingWhitespaceAndComments() -> String {
        var bytes = Array(utf8)[...]
        if let open = bytes.firstIndex(of: ASCII.openParen) {
            let close = HeaderLexer.skipComment(bytes, from: open)
            var rest = Array(bytes[..<open])
            rest.append(contentsOf: bytes[close...])
            bytes = rest[...]
        }
        return String(decoding: bytes.trimmingWhitespace(), as: UTF8.self)
    }
}
