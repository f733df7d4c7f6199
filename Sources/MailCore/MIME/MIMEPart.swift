/// One MIME entity of a message (RFC 2045, RFC 2046), located by byte ranges in the whole message.
///
/// A parsed message is the root `MIMEPart`. Ranges are indices into the bytes that were parsed, so
/// a part's exact bytes can be served without re-encoding (IMAP BODY[1.2.MIME], BODY[2.TEXT]…).
///
/// Invariants: `contentType.isMultipart` exactly when `children` is not empty; a multipart without a
/// usable boundary, or one nested deeper than `MailCoreDefaults.maxMIMEDepth`, becomes a leaf (see
/// `isOpaque`). `encapsulatedMessage` is set for message/rfc822 and message/global bodies that are
/// not base64 or quoted-printable encoded.
public struct MIMEPart: Sendable, Hashable {
    /// The part's header, from its first byte through the blank line that ends it.
    ///
    /// Empty at the body start for a part with no header.
    public var headerRange: Range<Int>
    /// The part's body.
    ///
    /// For a part of a multipart, the CRLF before the next delimiter is not included
    /// (RFC 2046 5.1.1: it belongs to the delimiter).
    public var bodyRange: Range<Int>
    /// The parsed header fields.
    public var header: MessageHeader
    /// The effective content type (the default when the field is missing or invalid).
    public var contentType: ContentType
    /// The Content-Transfer-Encoding (7bit when missing).
    public var contentTransferEncoding: ContentTransferEncoding
    /// The Content-Disposition, if any (RFC 2183).
    public var contentDisposition: ContentDisposition?
    /// Number of lines in the body (IMAP body-fld-lines): its line feeds; a last line without one
    /// is not counted, as Dovecot counts.
    public var bodyLineCount: Int
    /// Line feeds in the body not preceded by a CR; the body is `bodySize + bareLineFeedCount` octets as CRLF.
    public var bareLineFeedCount: Int
    /// The body parts of a multipart, in order.
    public var children: [MIMEPart]
    /// True when the part was not descended into because of the depth limit; its content type then
    /// reads application/octet-stream while `header` keeps what was declared.
    public var isOpaque: Bool
    private var encapsulated: [MIMEPart]

    /// Makes a part; normally parts come from `MIMEPart.parse(_:)`.
    public init(
        headerRange: Range<Int>,
        bodyRange: Range<Int>,
        header: MessageHeader,
        contentType: ContentType,
        contentTransferEncoding: ContentTransferEncoding,
        contentDisposition: ContentDisposition?,
        bodyLineCount: Int,
        bareLineFeedCount: Int = 0,
        children: [MIMEPart] = [],
        encapsulatedMessage: MIMEPart? = nil,
        isOpaque: Bool = false
    ) {
        self.headerRange = headerRange
        self.bodyRange = bodyRange
        self.header = header
        self.contentType = contentType
        self.contentTransferEncoding = contentTransferEncoding
        self.contentDisposition = contentDisposition
        self.bodyLineCount = bodyLineCount
        self.bareLineFeedCount = bareLineFeedCount
        self.children = children
        self.encapsulated = encapsulatedMessage.map { [$0] } ?? []
        self.isOpaque = isOpaque
    }

    /// For message/rfc822 and message/global: the message in the body, as a part whose header and body
    /// ranges are in the same (whole message) coordinates.
    public var encapsulatedMessage: MIMEPart? {
        get { encapsulated.first }
        set { encapsulated = newValue.map { [$0] } ?? [] }
    }

    /// The whole part: header and body.
    public var range: Range<Int> { headerRange.lowerBound..<bodyRange.upperBound }

    /// The body size in octets (IMAP body-fld-octets).
    public var bodySize: Int { bodyRange.count }

    /// True for a multipart with its children parsed.
    public var isMultipart: Bool { !children.isEmpty }

    /// Content-ID (RFC 2045 7), unfolded, angle brackets kept.
    public var contentID: String? { header["Content-ID"] }

    /// Content-Description (RFC 2045 8), encoded words decoded.
    public var contentDescription: String? { header.field(named: "Content-Description")?.decodedValue }

    /// Content-Language tags (RFC 3282).
    public var contentLanguage: [String] {
        guard let value = header["Content-Language"] else { return [] }
        return value.split(separator: ",").map { String($0).trimmingWhitespaceAndComments() }.filter { !$0.isEmpty }
    }

    /// Content-Location (RFC 2557), unfolded.
    public var contentLocation: String? { header["Content-Location"] }

    /// Content-MD5 (RFC 1864), as written.
    public var contentMD5: String? { header["Content-MD5"] }

    /// The file name: the disposition's `filename`, else the content type's `name`.
    public var filename: String? { contentDisposition?.filename ?? contentType.name }

    /// Every part below this one (children, their children, encapsulated messages), depth first.
    public var descendants: [MIMEPart] {
        var result: [MIMEPart] = []
        var stack: [MIMEPart] = Array((children + encapsulated).reversed())
        while let part = stack.popLast() {
            result.append(part)
            stack.append(contentsOf: (part.children + part.encapsulated).reversed())
        }
        return result
    }

    /// The body bytes as stored (still transfer-encoded).
    public func rawBody(in message: [UInt8]) -> ArraySlice<UInt8> {
        message[clamped(bodyRange, to: message.count)]
    }

    /// The header bytes, blank line included (IMAP BODY[n.MIME] / BODY[HEADER]).
    public func rawHeader(in message: [UInt8]) -> ArraySlice<UInt8> {
        message[clamped(headerRange, to: message.count)]
    }

    /// The body with its transfer encoding undone: the bytes of an attachment.
    public func decodedBody(in message: [UInt8]) -> [UInt8] {
        contentTransferEncoding.decode(rawBody(in: message))
    }

    /// A text body decoded to a string using its charset (UTF-8, then Latin-1, when unknown).
    public func text(in message: [UInt8]) -> String {
        let bytes = decodedBody(in: message)
        if let charset = contentType.charset, let text = Charset.decode(bytes, charset: charset) { return text }
        return Charset.decodeUndeclared(bytes)
    }

    private func clamped(_ range: Range<Int>, to count: Int) -> Range<Int> {
        min(max(range.lowerBound, 0), count)..<min(max(range.upperBound, 0), count)
    }
}
