/// `fetch-att` (RFC 3501 §6.4.5 and §9), with CONDSTORE's MODSEQ (RFC 7162).
public enum FetchAttribute: Sendable, Hashable {
    case envelope
    case flags
    case internalDate
    case rfc822
    case rfc822Header
    case rfc822Size
    case rfc822Text
    case body
    case bodyStructure
    case uid
    case modSeq
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    case bodySection(BodySection, peek: Bool, partial: PartialRange?)

    /// `ALL` macro: `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`.
    public static let all: [FetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope]
    /// `FAST` macro: `(FLAGS INTERNALDATE RFC822.SIZE)`.
    public static let fast: [FetchAttribute] = [.flags, .internalDate, .rfc822Size]
    /// `FULL` macro: `(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)`.
    public static let full: [FetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope, .body]

    /// Whether fetching this sets `\Seen` (RFC 3501 §6.4.5: BODY[…] and RFC822, RFC822.TEXT).
    public var setsSeen: Bool {
        switch self {
        case .rfc822, .rfc822Text: true
        case .bodySection(_, let peek, _): !peek
        default: false
        }
    }
}

/// `<origin.octets>` of a body section fetch.
public struct PartialRange: Sendable, Hashable {
    /// The first octet wanted.
    public var offset: UInt32
    /// The most octets wanted.
    public var length: UInt32
    /// A range of `length` octets from `offset`.
    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}

/// `section` (RFC 3501 §6.4.5): a part path (`1.2.3`) followed by an optional text specifier.
public struct BodySection: Sendable, Hashable {
    /// The text specifier after the part path: the whole part, its header or fields of it, its text, or MIME header.
    public enum Kind: Sendable, Hashable {
        /// The whole part (or the whole message for an empty path).
        case complete
        case header
        case headerFields([String])
        case headerFieldsNot([String])
        case text
        case mime
    }
    /// The part path, such as `[1, 2]`; empty for the whole message.
    public var part: [Int]
    /// Which text of the part is wanted.
    public var kind: Kind

    /// A section of `part`, by default the whole message.
    public init(part: [Int] = [], kind: Kind = .complete) {
        self.part = part
        self.kind = kind
    }

    /// The section spec as echoed in the FETCH response, such as `1.2.HEADER.FIELDS (FROM TO)`.
    public var specifier: String {
        var pieces = part.map(String.init)
        switch kind {
        case .complete: break
        case .header: pieces.append("HEADER")
        case .headerFields(let names):
            pieces.append("HEADER.FIELDS (\(names.map { $0.uppercased() }.joined(separator: " ")))")
        case .headerFieldsNot(let names):
            pieces.append("HEADER.FIELDS.NOT (\(names.map { $0.uppercased() }.joined(separator: " ")))")
        case .text: pieces.append("TEXT")
        case .mime: pieces.append("MIME")
        }
        return pieces.joined(separator: ".")
    }
}
