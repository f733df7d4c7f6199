/// The service extensions a server lists in its EHLO reply (RFC 5321 4.1.1.1), as a client reads them.
public struct SMTPExtensions: Hashable, Sendable {
    /// Keyword (upper-cased) to its parameters, as sent.
    public var keywords: [String: [String]]

    /// The extensions an EHLO reply advertises.
    ///
    /// RFC 5321 4.1.1.1: `ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF ) /
    /// ( "250-" Domain [ SP ehlo-greet ] CRLF *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF )`;
    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`. The first line is the greeting, not an extension.
    public init(ehloReply reply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            keywords[keyword.uppercased()] = Array(words.dropFirst())
        }
        self.keywords = keywords
    }

    /// Whether the server offers `keyword` (case-insensitive).
    public func supports(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// RFC 1870: the SIZE limit, if declared (0 means none).
    public var maximumSize: Int? { keywords["SIZE"]?.first.flatMap { Int($0) } }

    /// RFC 4954 3: the SASL mechanisms offered with AUTH, upper-cased.
    public var authenticationMechanisms: [String] { (keywords["AUTH"] ?? []).map { $0.uppercased() } }
}
