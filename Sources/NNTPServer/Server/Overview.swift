import MailCore

/// RFC 3977 §8.3: an article's overview line (without its number): Subject, From, Date, Message-ID,
/// References, :bytes, :lines, tab-separated, each value unfolded with tabs, CR and LF made spaces.
enum Overview {
    /// The overview of `article` (CRLF form).
    static func line(of article: [UInt8]) -> String {
        let parsed = MessageHeader.parse(article)
        var lines = 0
        var index = parsed.bodyStart
        while index < article.count {
            if article[index] == 0x0A { lines += 1 }
            index += 1
        }
        if parsed.bodyStart < article.count, article.last != 0x0A { lines += 1 }
        let fields = ["Subject", "From", "Date", "Message-ID", "References"].map { name in
            parsed.header.field(named: name).map { clean($0.unfoldedValue) } ?? ""
        }
        return (fields + [String(article.count), String(lines)]).joined(separator: "\t")
    }

    /// The value of `field` (a header name, or `:bytes` / `:lines`) from a header section and an
    /// overview line, as HDR shows it.
    static func value(of field: String, header: [UInt8]?, overview: String?) -> String {
        let lower = field.lowercased()
        if lower == ":bytes" || lower == ":lines" {
            let parts = overview?.split(separator: "\t", omittingEmptySubsequences: false) ?? []
            let position = lower == ":bytes" ? 5 : 6
            return parts.count > position ? String(parts[position]) : ""
        }
        guard let header else { return "" }
        return MessageHeader.parse(header).header.field(named: field).map { clean($0.unfoldedValue) } ?? ""
    }

    /// The Message-ID field of an overview line.
    static func messageID(_ overview: String) -> String? {
        let parts = overview.split(separator: "\t", omittingEmptySubsequences: false)
        return parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : nil
    }

    /// §8.3.2: TAB, CR and LF in a value become spaces; the bytes are otherwise kept (UTF-8 shown as is).
    static func clean(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.map { $0 == 0x09 || $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
    }
}
