import Foundation
import SMTPCore

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
        base64("\0\(credentials.username)\0\(credentials.password)")
    }
}
