/// An MTA-STS policy as a policy domain publishes it at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`
/// (RFC 8461 §3.2).
public struct STSPolicy: Sendable, Hashable, Codable {
    /// What a sending MTA does when no MX host can be reached over verified TLS (RFC 8461 §5).
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Deliver only to matching MX hosts over TLS that verifies; otherwise defer.
        case enforce
        /// Deliver as without a policy, and report (TLS-RPT) what would have failed.
        case testing
        /// The domain has withdrawn its policy.
        case none
    }

    /// The largest `max_age` allowed: one year (RFC 8461 §3.2).
    public static let maximumMaxAge = 31_557_600

    /// The policy's mode.
    public var mode: Mode
    /// The MX patterns: host names, or `*.` followed by a domain (one leftmost label).
    public var mx: [String]
    /// Seconds the policy may be cached.
    public var maxAge: Int

    /// Makes a policy from its fields.
    public init(mode: Mode, mx: [String], maxAge: Int) {
        self.mode = mode
        self.mx = mx
        self.maxAge = maxAge
    }

    /// Parses a policy body strictly (RFC 8461 §3.2).
    ///
    /// Lines `key: value` ended by LF or CRLF; `version` must
    /// be `STSv1`; `mode` one of enforce, testing, none; `max_age` 1 to 10 digits, at most one year; at least
    /// one `mx` unless the mode is `none`. Unknown keys are ignored; of a repeated key other than `mx` the
    /// first counts.
    public static func parse(_ text: String) throws(STSPolicyError) -> STSPolicy {
        var version: String?
        var mode: String?
        var maxAge: String?
        var mx: [String] = []
        // CRLF is one Character in Swift: both it and a bare LF end a line (sts-policy-term).
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else { throw .malformedLine(String(line)) }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingWhitespace
            // sts-field-name = 1*32(ALPHA / DIGIT / "_" / "-" / ".")
            guard (1...32).contains(key.count),
                key.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || "_-.".unicodeScalars.contains($0) })
            else { throw .malformedLine(String(line)) }
            switch key {
            case "version": if version == nil { version = value }
            case "mode": if mode == nil { mode = value }
            case "max_age": if maxAge == nil { maxAge = value }
            case "mx": mx.append(value.lowercased())
            default: continue
            }
        }
        guard let version else { throw .missingField("version") }
        guard version == "STSv1" else { throw .badValue(field: "version", value: version) }
        guard let modeText = mode else { throw .missingField("mode") }
        guard let parsedMode = Mode(rawValue: modeText) else { throw .badValue(field: "mode", value: modeText) }
        guard let ageText = maxAge else { throw .missingField("max_age") }
        guard (1...10).contains(ageText.count), ageText.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }),
            let age = Int(ageText), age <= maximumMaxAge
        else { throw .badValue(field: "max_age", value: ageText) }
        for pattern in mx where !Self.isValidPattern(pattern) { throw .badValue(field: "mx", value: pattern) }
        if parsedMode != .none, mx.isEmpty { throw .missingField("mx") }
        return STSPolicy(mode: parsedMode, mx: mx, maxAge: age)
    }

    /// Whether `host` (an MX host name) matches one of the policy's patterns (RFC 8461 §4.1): equal, or for
    /// `*.domain` one label more on the left, never more than one, never the domain itself.
    public func matches(_ host: String) -> Bool {
        let host = Self.normalized(host)
        return mx.contains { pattern in
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)  // ".domain"
                guard host.hasSuffix(suffix) else { return false }
                let label = host.dropLast(suffix.count)
                return !label.isEmpty && !label.contains(".")
            }
            return host == pattern
        }
    }

    /// The policy as `key: value` lines, for TLS-RPT's `policy-string` (RFC 8460 §4.4).
    public var lines: [String] {
        ["version: STSv1", "mode: \(mode.rawValue)"] + mx.map { "mx: \($0)" } + ["max_age: \(maxAge)"]
    }

    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// A host name, or `*.` and a host name with at least two labels (a wildcard for a TLD is meaningless).
    static func isValidPattern(_ pattern: String) -> Bool {
        var name = Substring(pattern)
        if name.hasPrefix("*.") {
            name = name.dropFirst(2)
            guard name.contains(".") else { return false }
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" }
            }
    }
}

/// Why a policy body was refused (reported to TLS-RPT as `sts-policy-invalid`).
public enum STSPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A line that is not `key: value`.
    case malformedLine(String)
    /// A required field is absent.
    case missingField(String)
    /// A field has a value the RFC does not allow.
    case badValue(field: String, value: String)

    /// The reason, for logs and the report.
    public var description: String {
        switch self {
        case .malformedLine(let line): "malformed policy line \"\(line.prefix(80))\""
        case .missingField(let field): "policy has no \(field)"
        case .badValue(let field, let value): "policy \(field) \"\(value.prefix(80))\" is not allowed"
        }
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (WSP, RFC 5234).
    var trimmingWhitespace: String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
