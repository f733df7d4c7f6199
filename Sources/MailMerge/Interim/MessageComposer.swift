import Foundation

/// A file to attach.
public struct MergeAttachment: Sendable, Hashable {
    /// The name the recipient sees.
    public var fileName: String
    /// The MIME type, from the file name's extension unless given.
    public var contentType: String
    /// The file's bytes.
    public var data: Data

    /// Creates an attachment.
    public init(fileName: String, contentType: String? = nil, data: Data) {
        self.fileName = fileName
        self.contentType = contentType ?? BodyEncoding.contentType(forFileName: fileName)
        self.data = data
    }

    /// Reads a file to attach.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > MailMergeDefaults.maximumFileSize {
            throw CocoaError(.fileReadTooLarge)
        }
        self.init(fileName: url.lastPathComponent, data: try Data(contentsOf: url))
    }
}

/// Writes one RFC 5322 message with MIME (RFC 2045–2049): text, HTML or both as multipart/alternative,
/// attachments in multipart/mixed; header values encoded (RFC 2047) and folded; lines end in CRLF.
///
/// Interim: MailCore's MessageBuilder replaces this once it lands.
struct MessageComposer {
    /// Headers in order, values already encoded.
    var headers: [(name: String, value: String)] = []
    var text: String?
    var html: String?
    var attachments: [MergeAttachment] = []

    /// A boundary that cannot occur in base64, quoted-printable or 7bit lines we write ("=_" is never produced
    /// by the encoders at a line start followed by this random tail).
    static func makeBoundary() -> String {
        "=_correo_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The message's bytes.
    func bytes() -> [UInt8] {
        var out = ""
        for header in headers { out += HeaderEncoding.fold(name: header.name, value: header.value) + "\r\n" }
        out += "MIME-Version: 1.0\r\n"
        let body = bodyPart()
        if attachments.isEmpty {
            out += body
            if !out.hasSuffix("\r\n") { out += "\r\n" }
        } else {
            let boundary = Self.makeBoundary()
            out += "Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n\r\n"
            out += "This is a multipart message in MIME format.\r\n"
            let bodyIsMultipart = text != nil && html != nil
            out += "--\(boundary)\r\n" + body + (bodyIsMultipart ? "" : "\r\n")
            for attachment in attachments {
                out += "--\(boundary)\r\n" + Self.attachmentPart(attachment) + "\r\n"
            }
            out += "--\(boundary)--\r\n"
        }
        return Array(out.utf8)
    }

    /// The body as a part: its headers, a blank line, its content (the CRLF before a following boundary is
    /// the boundary's, RFC 2046 §5.1.1, so it is added by the caller).
    private func bodyPart() -> String {
        switch (text, html) {
        case (let text?, let html?):
            let boundary = Self.makeBoundary()
            return "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
                + "--\(boundary)\r\n" + Self.textPart(text, subtype: "plain") + "\r\n"
                + "--\(boundary)\r\n" + Self.textPart(html, subtype: "html") + "\r\n"
                + "--\(boundary)--\r\n"
        case (nil, let html?):
            return Self.textPart(html, subtype: "html")
        case (let text?, nil):
            return Self.textPart(text, subtype: "plain")
        case (nil, nil):
            return Self.textPart("", subtype: "plain")
        }
    }

    private static func textPart(_ text: String, subtype: String) -> String {
        let (encoding, body) = BodyEncoding.text(text)
        return "Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: \(encoding)\r\n\r\n" + body
    }

    private static func attachmentPart(_ attachment: MergeAttachment) -> String {
        let nameParameter: String
        if attachment.fileName.unicodeScalars.allSatisfy({ $0.isASCII }) {
            nameParameter = HeaderEncoding.parameter("name", attachment.fileName)
        } else {
            // Old clients read an encoded word in name=; RFC 2231 clients read filename*=.
            nameParameter = "name=\"\(HeaderEncoding.encodedWords(attachment.fileName))\""
        }
        return "Content-Type: \(attachment.contentType); \(nameParameter)\r\n"
            + "Content-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; \(HeaderEncoding.parameter("filename", attachment.fileName))\r\n\r\n"
            + BodyEncoding.base64Lines(attachment.data)
    }

    /// `date-time` (RFC 5322 §3.3), like "Thu, 26 Nov 2026 16:12:09 +0000".
    static func dateHeader(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// `msg-id = "<" id-left "@" id-right ">"` (RFC 5322 §3.6.4), unique by a random UUID.
    static func messageID(domain: String) -> String {
        let right = domain.isEmpty || !RecipientAddress.isDomain(Substring(domain)) ? "correo.invalid" : domain
        return "<\(UUID().uuidString.lowercased())@\(right)>"
    }
}
