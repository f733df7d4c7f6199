/// The Authentication-Results header field (RFC 8601): what correo found, for the reader's mail
/// client and filters, under correo's authserv-id.
public struct AuthenticationResults: Sendable, Hashable {
    /// One method's result (§2.2's resinfo): `method=result (comment) ptype.property=value ...`.
    public struct Entry: Sendable, Hashable {
        /// The method (§2.7): `spf`, `dkim`, `dmarc`.
        public var method: String
        /// The method's result keyword, such as `pass` or `fail`.
        public var result: String
        /// Why, written as the parenthesised comment after the result.
        public var reason: String?
        /// The `ptype.property=value` pairs in order, such as `("header.d", "example.org")`.
        public var properties: [(String, String)]

        /// Makes an entry for one method's result.
        public init(method: String, result: String, reason: String? = nil, properties: [(String, String)] = []) {
            self.method = method
            self.result = result
            self.reason = reason
            self.properties = properties
        }

        /// Compares everything, properties in order; tuples are not Equatable, so this is written out.
        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.method == rhs.method && lhs.result == rhs.result && lhs.reason == rhs.reason
                && lhs.properties.map(\.0) == rhs.properties.map(\.0)
                && lhs.properties.map(\.1) == rhs.properties.map(\.1)
        }

        /// Hashes method and result only, which is consistent with `==`.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(method)
            hasher.combine(result)
        }
    }

    /// The host that made the checks (§2.5), normally correo's host name.
    public var authservID: String
    /// The results, one per method and signature, in the order they are written.
    public var entries: [Entry]

    /// Makes a field for `authservID` with `entries`.
    public init(authservID: String, entries: [Entry]) {
        self.authservID = authservID
        self.entries = entries
    }

    /// The field, folded one result a line, ending in CRLF.
    ///
    /// With no entries it says `none` (§2.2).
    public var field: [UInt8] {
        var text = "Authentication-Results: \(authservID)"
        if entries.isEmpty {
            text += "; none"
        }
        for entry in entries {
            text += ";\r\n\t\(entry.method)=\(entry.result)"
            if let reason = entry.reason { text += " reason=\(Self.value(reason))" }
            for (name, value) in entry.properties { text += " \(name)=\(Self.value(value))" }
        }
        return Array((text + "\r\n").utf8)
    }

    /// A property value (§2.2's `pvalue`): bare when it is a MIME token or `[local-part] "@" domain`
    /// (an address, as smtp.mailfrom has it), else a quoted-string (base64 in header.b has "/" and "+").
    static func value(_ text: String) -> String {
        let tspecials = Set("()<>@,;:\\\"/[]?= \t")
        let printable = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
        if printable, !text.contains(where: tspecials.contains) { return text }
        if printable, let at = text.lastIndex(of: "@") {
            let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
            let ldh = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
            let local = text[..<at]
            let domain = text[text.index(after: at)...]
            if local.allSatisfy(atext.contains), !domain.isEmpty, domain.allSatisfy(ldh.contains) { return text }
        }
        let escaped = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
            .map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined()
        return "\"\(escaped)\""
    }

    /// Removes the Authentication-Results fields that claim `authservID` from `message`.
    ///
    /// A receiver must remove such fields from outside, which could forge its verdicts (§5). Fields of
    /// other hosts stay. The message's octets are otherwise unchanged.
    public static func strip(_ message: [UInt8], claiming authservID: String) -> [UInt8] {
        let fields = MessageFields(message)
        let own = fields.fields.indices.filter { index in
            let field = fields.fields[index]
            guard field.isNamed("Authentication-Results") else { return false }
            return Self.authservID(of: field.value)?.lowercased() == authservID.lowercased()
        }
        guard !own.isEmpty else { return message }
        var kept = fields
        kept.fields = fields.fields.enumerated().filter { !own.contains($0.offset) }.map(\.element)
        return kept.bytes
    }

    /// The authserv-id of a field's value: the first token, comments skipped (§2.2, RFC 5322's CFWS).
    static func authservID(of value: some Collection<UInt8>) -> String? {
        var depth = 0
        var token: [UInt8] = []
        for byte in value {
            if byte == UInt8(ascii: "(") {
                depth += 1
                continue
            }
            if byte == UInt8(ascii: ")") {
                depth = max(0, depth - 1)
                continue
            }
            if depth > 0 { continue }
            if byte == UInt8(ascii: ";") || isWSP(byte) || byte == 0x0D || byte == 0x0A {
                if !token.isEmpty { break }
                continue
            }
            token.append(byte)
        }
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }
}
