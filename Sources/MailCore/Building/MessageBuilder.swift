import Foundation

/// Builds an RFC 5322 / MIME message as CRLF wire bytes: addresses with encoded display names,
/// an encoded Subject, Date, Message-ID, text and/or HTML (multipart/alternative when both) and
/// attachments (multipart/mixed).
///
/// Every line stays within 998 octets.
public struct MessageBuilder: Sendable {
    /// The author (From).
    public var from: Mailbox
    /// To recipients.
    public var to: [Address] = []
    /// Cc recipients.
    public var cc: [Address] = []
    /// Bcc recipients: part of `recipients`, never written into the message.
    public var bcc: [Address] = []
    /// Reply-To.
    public var replyTo: [Address] = []
    /// The subject (encoded words are added when it is not ASCII).
    public var subject: String = ""
    /// The Date field; now by default.
    public var date = MessageDate(date: Date())
    /// The Message-ID with angle brackets; generated as `<random@domain of From>` when nil.
    public var messageID: String?
    /// A text/plain body.
    public var textBody: String?
    /// A text/html body.
    public var htmlBody: String?
    /// Files to attach, in order.
    public var attachments: [Attachment] = []
    /// Further fields, written after the standard ones; values must be ASCII or already encoded.
    ///
    /// Line breaks in a value become folding, so a value cannot start a new field; a field whose name
    /// is not valid RFC 5322 is not written.
    public var extraHeaders: [(name: String, value: String)] = []

    /// Makes a builder for a message from `from`.
    public init(from: Mailbox) {
        self.from = from
    }

    /// Every envelope recipient (To, Cc and Bcc mailboxes), for SMTP RCPT TO.
    public var recipients: [Mailbox] {
        (to + cc + bcc).flatMap(\.mailboxes)
    }

    /// The message bytes, with random Message-ID and boundaries.
    public func build() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return build(using: &generator)
    }

    /// The message bytes, drawing Message-ID and boundaries from `generator` (for reproducible output).
    public func build(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var output: [UInt8] = []
        func field(_ name: String, _ value: String) { output += HeaderFolding.fold(name: name, value: value) }
        field("Date", date.formatted)
        field("From", from.encoded)
        if !to.isEmpty { field("To", to.map(\.encoded).joined(separator: ", ")) }
        if !cc.isEmpty { field("Cc", cc.map(\.encoded).joined(separator: ", ")) }
        if !replyTo.isEmpty { field("Reply-To", replyTo.map(\.encoded).joined(separator: ", ")) }
        field("Subject", EncodedWord.encode(subject))
        let domain = from.domain.isEmpty ? "localhost" : from.domain
        field("Message-ID", messageID ?? "<\(Self.randomToken(using: &generator))@\(domain)>")
        field("MIME-Version", "1.0")
        // A name that is not RFC 5322 3.6.8 ftext would corrupt the header; such fields are left out.
        for extra in extraHeaders where Self.isFieldName(extra.name) { field(extra.name, extra.value) }
        output += bodyEntity(using: &generator)
        return output
    }

    /// The top-level entity: its Content-* fields, blank line and body.
    private func bodyEntity(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var textParts: [[UInt8]] = []
        if let textBody { textParts.append(Self.textEntity(textBody, subtype: "plain")) }
        if let htmlBody { textParts.append(Self.textEntity(htmlBody, subtype: "html")) }
        var body: [UInt8]
        if textParts.count == 2 {
            body = Self.multipart("alternative", parts: textParts, using: &generator)
        } else if let only = textParts.first {
            body = only
        } else if attachments.isEmpty {
            body = Self.textEntity("", subtype: "plain")
        } else {
            body = []
        }
        guard !attachments.isEmpty else { return body }
        var parts = body.isEmpty ? [] : [body]
        parts += attachments.map(Self.attachmentEntity)
        return Self.multipart("mixed", parts: parts, using: &generator)
    }

    static func textEntity(_ text: String, subtype: String) -> [UInt8] {
        let (encoding, body) = BodyEncoding.encodeText(text)
        var type = ContentType(type: "text", subtype: subtype)
        type.parameters["charset"] = encoding == .sevenBit ? "us-ascii" : "utf-8"
        var output = HeaderFolding.fold(name: "Content-Type", value: type.encoded)
        output += HeaderFolding.fold(name: "Content-Transfer-Encoding", value: encoding.name)
        output += [ASCII.cr, ASCII.lf]
        output += body
        return output
    }

    static func attachmentEntity(_ attachment: Attachment) -> [UInt8] {
        let (encoding, body) = BodyEncoding.encodeData(attachment.data)
        var type = attachment.contentType
        type.parameters["name"] = attachment.filename
        var disposition = ContentDisposition(type: attachment.isInline ? "inline" : "attachment")
        disposition.parameters["filename"] = attachment.filename
        var output = HeaderFolding.fold(name: "Content-Type", value: type.encoded)
        output += HeaderFolding.fold(name: "Content-Disposition", value: disposition.encoded)
        if let id = attachment.contentID { output += HeaderFolding.fold(name: "Content-ID", value: "<\(id)>") }
        output += HeaderFolding.fold(name: "Content-Transfer-Encoding", value: encoding.name)
        output += [ASCII.cr, ASCII.lf]
        output += body
        return output
    }

    /// RFC 2046 5.1.1: parts between `--boundary` lines, closed by `--boundary--`.
    ///
    /// The boundary is
    /// random, starts with `=_` (which base64 and quoted-printable output never contain) and is
    /// checked against the parts anyway.
    static func multipart(
        _ subtype: String,
        parts: [[UInt8]],
        using generator: inout some RandomNumberGenerator
    ) -> [UInt8] {
        var boundary = "=_correo_" + randomToken(using: &generator)
        while parts.contains(where: { contains($0, Array(boundary.utf8)) }) {
            boundary = "=_correo_" + randomToken(using: &generator)
        }
        var type = ContentType(type: "multipart", subtype: subtype)
        type.parameters["boundary"] = boundary
        var output = HeaderFolding.fold(name: "Content-Type", value: type.encoded)
        output += [ASCII.cr, ASCII.lf]
        let delimiter = Array("--\(boundary)".utf8)
        for part in parts {
            output += delimiter + [ASCII.cr, ASCII.lf]
            output += part
            // This CRLF belongs to the next delimiter, so each part's own last line break survives.
            output += [ASCII.cr, ASCII.lf]
        }
        output += delimiter + [ASCII.hyphen, ASCII.hyphen, ASCII.cr, ASCII.lf]
        return output
    }

    /// RFC 5322 3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126.
    static func isFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != ASCII.colon }
    }

    static func randomToken(using generator: inout some RandomNumberGenerator) -> String {
        let high = UInt64.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        return String(high, radix: 36) + "." + String(low, radix: 36)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
