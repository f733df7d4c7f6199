/// What the server offered in its EHLO reply (RFC 5321 §4.1.1.1: one extension a line after the greeting).
public struct ServerCapabilities: Sendable, Hashable {
    /// Extension keywords, upper-cased, with their parameters as sent.
    public var extensions: [String: [String]]

    /// No extensions: what a server answering only HELO offers.
    public static let none = ServerCapabilities(extensions: [:])

    /// Creates capabilities from keyword → parameters.
    public init(extensions: [String: [String]]) {
        self.extensions = extensions
    }

    /// Parses an EHLO reply: the first line is the server's name, each next line `ehlo-keyword *(SP ehlo-param)`.
    public init(ehloReply reply: SMTPReply) {
        var extensions: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard var keyword = words.first?.uppercased() else { continue }
            var parameters = Array(words.dropFirst())
            // Old servers wrote "AUTH=PLAIN LOGIN" beside the standard form.
            if keyword.hasPrefix("AUTH=") {
                parameters.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            extensions[keyword, default: []].append(contentsOf: parameters)
        }
        self.extensions = extensions
    }

    /// Whether the server offers `keyword`.
    public func supports(_ keyword: String) -> Bool { extensions[keyword.uppercased()] != nil }

    /// RFC 2920 PIPELINING.
    public var pipelining: Bool { supports("PIPELINING") }
    /// RFC 3207 STARTTLS.
    public var startTLS: Bool { supports("STARTTLS") }
    /// RFC 6152 8BITMIME.
    public var eightBitMIME: Bool { supports("8BITMIME") }
    /// RFC 6531 SMTPUTF8.
    public var smtpUTF8: Bool { supports("SMTPUTF8") }
    /// RFC 1870 SIZE: the largest message the server takes, or nil when it did not say (or said 0: no limit).
    public var maximumMessageSize: Int? {
        guard let value = extensions["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }
    /// RFC 4954 AUTH mechanisms, upper-cased.
    public var authenticationMechanisms: [String] { (extensions["AUTH"] ?? []).map { $0.uppercased() } }
}
