import Foundation
import MailCore

/// A mailbox of a header as the API shows it.
public struct DevAddress: Codable, Sendable, Equatable {
    /// The display name; "" when there is none.
    public var name: String
    /// `local@domain`.
    public var address: String
}

/// One captured message in a list: what the API's list, wait and events give.
public struct DevMessageSummary: Codable, Sendable, Equatable {
    /// The message's id: its UID in the all-mail mailbox (digits only, never a path).
    public var id: String
    /// When correo received it (RFC 3339, whole seconds: the Maildir's internal date).
    public var received: String
    /// The From header's mailboxes.
    public var from: [DevAddress]
    /// The To header's mailboxes (Bcc recipients are only in `envelope`).
    public var to: [DevAddress]
    /// The Cc header's mailboxes.
    public var cc: [DevAddress]
    /// The Subject, encoded words decoded; "" when there is none.
    public var subject: String
    /// The Date header (RFC 3339), if it parses.
    public var date: String?
    /// The Message-ID header, if there is one.
    public var messageID: String?
    /// Size in octets, CRLF line ends.
    public var size: Int
    /// MAIL FROM and RCPT TO.
    public var envelope: DevEnvelope?
    /// How many attachments it has.
    public var attachmentCount: Int
}

/// One attachment (or other part that is neither the text nor the HTML body).
public struct DevAttachment: Codable, Sendable, Equatable {
    /// Its number in the message, from 0: `/api/messages/{id}/attachments/{index}`.
    public var index: Int
    /// The file name, "" when the part has none.
    public var name: String
    /// The media type, `type/subtype`.
    public var type: String
    /// Decoded size in octets.
    public var size: Int
    /// Content-ID, for `cid:` references from the HTML.
    public var contentID: String?
}

/// A header field, its value unfolded and encoded words decoded.
public struct DevHeader: Codable, Sendable, Equatable {
    /// The field name as the message spells it.
    public var name: String
    /// The value, unfolded and decoded.
    public var value: String
}

/// One message parsed: `GET /api/messages/{id}`.
public struct DevMessageDetail: Codable, Sendable, Equatable {
    /// The fields the list gives, encoded at the top level of the detail's JSON object.
    public var summary: DevMessageSummary
    /// Every header field, in the message's order.
    public var headers: [DevHeader]
    /// The first text/plain body, decoded; nil when there is none.
    public var text: String?
    /// The first text/html body, decoded; nil when there is none.
    public var html: String?
    /// The parts that are neither the text nor the HTML body, numbered as `/api/messages/{id}/attachments/{index}`.
    public var attachments: [DevAttachment]

    enum CodingKeys: String, CodingKey {
        case headers, text, html, attachments
    }

    /// A detail from its parts.
    public init(
        summary: DevMessageSummary,
        headers: [DevHeader],
        text: String?,
        html: String?,
        attachments: [DevAttachment]
    ) {
        self.summary = summary
        self.headers = headers
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    /// The summary's fields and the detail's side by side in one object.
    public func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(headers, forKey: .headers)
        try container.encode(text, forKey: .text)
        try container.encode(html, forKey: .html)
        try container.encode(attachments, forKey: .attachments)
    }

    /// Reads a detail written by `encode(to:)` (the summary's fields and the detail's in one object).
    public init(from decoder: any Decoder) throws {
        summary = try DevMessageSummary(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        headers = try container.decode([DevHeader].self, forKey: .headers)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        html = try container.decodeIfPresent(String.self, forKey: .html)
        attachments = try container.decode([DevAttachment].self, forKey: .attachments)
    }
}

/// Reads a message's bytes into the API's values: MailCore's MIME tree, walked once.
public struct DevParsedMessage: Sendable {
    /// The bytes, CRLF.
    public let bytes: [UInt8]
    /// The MIME tree of `bytes`.
    public let root: MIMEPart
    /// The first text/plain part that is not an attachment.
    public let textPart: MIMEPart?
    /// The first text/html part that is not an attachment.
    public let htmlPart: MIMEPart?
    /// Every other leaf part, in the message's order: the attachments' numbering.
    public let attachmentParts: [MIMEPart]

    /// Parses `bytes` and picks the text, HTML and attachment parts in one depth-first walk.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        root = MIMEPart.parse(bytes)
        var text: MIMEPart?
        var html: MIMEPart?
        var attachments: [MIMEPart] = []
        // Depth first: multipart containers open up, an attached message stays one attachment.
        var stack = [root]
        while let part = stack.popLast() {
            if part.isMultipart {
                stack.append(contentsOf: part.children.reversed())
                continue
            }
            let isAttachment = part.contentDisposition?.isAttachment == true
            if !isAttachment, part.contentType.mimeType == "text/plain", text == nil {
                text = part
            } else if !isAttachment, part.contentType.mimeType == "text/html", html == nil {
                html = part
            } else {
                attachments.append(part)
            }
        }
        textPart = text
        htmlPart = html
        attachmentParts = attachments
    }

    /// The list entry for this message.
    public func summary(id: String, received: Date, size: Int, envelope: DevEnvelope?) -> DevMessageSummary {
        let header = root.header
        return DevMessageSummary(
            id: id,
            received: DevTime.format(received),
            from: header.from.map(DevAddress.init),
            to: header.to.flatMap(\.mailboxes).map(DevAddress.init),
            cc: header.cc.flatMap(\.mailboxes).map(DevAddress.init),
            subject: header.subject ?? "",
            date: header["Date"].flatMap { MessageDate.parse($0) }.map { DevTime.format($0.date) },
            messageID: header.messageID,
            size: size,
            envelope: envelope,
            attachmentCount: attachmentParts.count
        )
    }

    /// The whole parsed message.
    public func detail(summary: DevMessageSummary) -> DevMessageDetail {
        DevMessageDetail(
            summary: summary,
            headers: root.header.fields.filter { !$0.isMalformed }.map {
                DevHeader(name: $0.name, value: $0.decodedValue)
            },
            text: textPart.map { $0.text(in: bytes) },
            html: htmlPart.map { $0.text(in: bytes) },
            attachments: attachmentParts.enumerated().map { index, part in
                DevAttachment(
                    index: index,
                    name: part.filename ?? "",
                    type: part.contentType.mimeType,
                    size: part.decodedBody(in: bytes).count,
                    contentID: part.contentID
                )
            }
        )
    }
}

extension DevAddress {
    init(_ mailbox: MailCore.Mailbox) {
        self.init(name: mailbox.displayName ?? "", address: mailbox.address)
    }
}

/// Times as the API writes and reads them: RFC 3339 in UTC, or seconds since 1970.
enum DevTime {
    /// `1733248800` or `1733248800.25`: 1 to 12 digits, then at most 6 after a point, as the OpenAPI
    /// document says (no sign, no exponent: Double's own parser would take `-3e200`).
    static func epochSeconds(_ text: String) -> Double? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        func digits(_ part: Substring, _ most: Int) -> Bool {
            (1...most).contains(part.utf8.count) && part.utf8.allSatisfy { (0x30...0x39).contains($0) }
        }
        guard digits(parts[0], 12), parts.count == 1 || digits(parts[1], 6) else { return nil }
        return Double(text)
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// `2026-12-03T18:00:00Z` (RFC 3339 §5.6 date-time: any fraction, any offset, letters in either
    /// case) or `1733248800` (seconds, fractions allowed).
    static func parse(_ text: String) -> Date? {
        if let seconds = epochSeconds(text) { return Date(timeIntervalSince1970: seconds) }
        let bytes = Array(text.uppercased().utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else {
                return nil
            }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func byte(_ index: Int, is character: Character) -> Bool {
            index < bytes.count && bytes[index] == character.asciiValue
        }
        guard let year = number(0..<4), byte(4, is: "-"), let month = number(5..<7), byte(7, is: "-"),
            let day = number(8..<10), byte(10, is: "T"), let hour = number(11..<13), byte(13, is: ":"),
            let minute = number(14..<16), byte(16, is: ":"), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index, is: ".") {
            let digits = bytes[(index + 1)...].prefix { (0x30...0x39).contains($0) }
            guard !digits.isEmpty, let value = Double("0." + String(decoding: digits, as: UTF8.self)) else {
                return nil
            }
            fraction = value
            index += 1 + digits.count
        }
        var offset = 0
        if byte(index, is: "Z"), index + 1 == bytes.count {
            offset = 0
        } else if byte(index, is: "+") || byte(index, is: "-"), index + 6 == bytes.count, byte(index + 3, is: ":"),
            let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)), hours < 24,
            minutes < 60
        {
            offset = (byte(index, is: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        let components = DateComponents(
            calendar: Calendar(identifier: .gregorian),
            timeZone: TimeZone(identifier: "UTC"),
            year: year,
            month: month,
            day: day,
            hour: hour,
            minute: minute,
            second: second
        )
        guard let date = components.date else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }
}
