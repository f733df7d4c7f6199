import Foundation

/// A user name and password for SMTP AUTH (RFC 4954). The password never appears in descriptions or logs.
public struct SMTPCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The authentication identity.
    public var user: String
    /// The password.
    public var password: String

    /// Creates credentials.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "SMTPCredentials(user: \(user), password: <redacted>)" }
}

/// The SASL mechanisms the client speaks, in order of preference.
enum SASLMechanism: String, CaseIterable, Sendable {
    /// RFC 4616: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`, sent as the initial response.
    case plain = "PLAIN"
    /// The widely deployed LOGIN mechanism (draft-murchison-sasl-login): user name, then password, each base64.
    case login = "LOGIN"

    /// The first mechanism of ours the server offers.
    static func choose(offered: [String]) -> SASLMechanism? {
        allCases.first { offered.contains($0.rawValue) }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// PLAIN's initial response: empty authorization identity, user, password.
    static func plainResponse(_ credentials: SMTPCredentials) -> String {
        base64("\0\(credentials.user)\0\(credentials.password)")
    }
}
