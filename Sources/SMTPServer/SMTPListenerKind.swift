/// The three kinds of SMTP listener (DESIGN.md, RFC 6409, RFC 8314), each with its own policy.
public enum SMTPListenerKind: String, Hashable, Sendable, CaseIterable {
    /// MX-style SMTP (port 25, correo's 2525): mail for local domains from anyone, STARTTLS offered,
    /// AUTH offered only after TLS and never required.
    case mx
    /// Message submission (RFC 6409, 587/2587): STARTTLS, then AUTH before MAIL.
    case submission
    /// Submission over implicit TLS (RFC 8314, 465/2465): TLS from the first octet, AUTH before MAIL.
    case submissions

    /// Whether MAIL needs a successful AUTH first.
    public var requiresAuthentication: Bool { self != .mx }
    /// Whether the connection starts with a TLS handshake.
    public var usesImplicitTLS: Bool { self == .submissions }

    /// The service's usual name, as logs, metrics and the start-up line give it: smtp, submission, smtps.
    public var protocolName: String {
        switch self {
        case .mx: "smtp"
        case .submission: "submission"
        case .submissions: "smtps"
        }
    }
}
