/// The two TXT records of RFC 8461 §3.1 and RFC 8460 §3, parsed strictly.
///
/// Both are `key=value` pairs separated by `;`, beginning with the version; of several TXT records at the
/// name, only those that begin with the version count, and unless exactly one does the domain has none.
public enum TXTDirective {
    /// The `id` of a `v=STSv1; id=…` record, or nil when the texts hold no single valid one.
    public static func stsID(_ texts: [String]) -> String? {
        guard let fields = single(texts, version: "STSv1") else { return nil }
        // sts-id = 1*32(ALPHA / DIGIT)
        guard let id = fields["id"], (1...32).contains(id.count), id.unicodeScalars.allSatisfy(\.isASCIIAlphanumeric)
        else { return nil }
        return id
    }

    /// The `rua` URIs of a `v=TLSRPTv1; rua=…` record (comma-separated), or nil when there is no single
    /// valid record.
    public static func reportingURIs(_ texts: [String]) -> [String]? {
        guard let fields = single(texts, version: "TLSRPTv1"), let rua = fields["rua"] else { return nil }
        let uris = rua.split(separator: ",").map { Substring($0).trimmingWhitespace }.filter { !$0.isEmpty }
        return uris.isEmpty ? nil : uris
    }

    /// The mailbox of a `mailto:` URI (its `?` part and %-escapes handled), nil for another scheme.
    public static func mailbox(_ uri: String) -> String? {
        guard uri.lowercased().hasPrefix("mailto:") else { return nil }
        var address = Substring(uri.dropFirst("mailto:".count))
        if let query = address.firstIndex(of: "?") { address = address[..<query] }
        let decoded = String(address).removingPercentEscapes
        guard let at = decoded.lastIndex(of: "@"), at != decoded.startIndex,
            decoded.index(after: at) != decoded.endIndex,
            !decoded.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "\r" || $0 == "\n" })
        else { return nil }
        return decoded
    }

    static func single(_ texts: [String], version: String) -> [String: String]? {
        let candidates = texts.compactMap { text -> [String: String]? in
            let fields = parse(text)
            guard let first = fields.first, first.key == "v", first.value == version else { return nil }
            return Dictionary(fields.dropFirst().map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// `k=v; k=v;` into ordered pairs; a part without `=` makes the whole record invalid (empty).
    static func parse(_ text: String) -> [(key: String, value: String)] {
        var fields: [(key: String, value: String)] = []
        for part in text.split(separator: ";") {
            let part = part.trimmingWhitespace
            if part.isEmpty { continue }
            guard let equals = part.firstIndex(of: "=") else { return [] }
            let key = Substring(part[..<equals]).trimmingWhitespace
            let value = Substring(part[part.index(after: equals)...]).trimmingWhitespace
            fields.append((key, value))
        }
        return fields
    }
}

extension String {
    /// `%XX` escapes decoded (RFC 3986 §2.1); a broken escape is kept as written.
    var removingPercentEscapes: String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.first {
            if byte == UInt8(ascii: "%"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.dropFirst().prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
