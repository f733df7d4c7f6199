/// An SMTP mailbox, `local-part@domain` (RFC 5321 4.1.2), possibly with UTF-8 (RFC 6531).
public struct SMTPMailbox: Hashable, Sendable, CustomStringConvertible {
    /// The local part as sent: a dot-string, or a quoted string with its quotes.
    public var localPart: String
    /// The domain as sent, or an address literal with its brackets (`[192.0.2.1]`).
    public var domain: String

    /// The mailbox `localPart@domain`, both as given.
    public init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }

    /// `local-part@domain`.
    public var description: String { "\(localPart)@\(domain)" }

    /// Whether any octet is outside US-ASCII, which needs SMTPUTF8 (RFC 6531 3.2).
    public var isASCII: Bool { localPart.utf8.allSatisfy { $0 < 0x80 } && domain.utf8.allSatisfy { $0 < 0x80 } }

    /// Whether the domain is an address literal (`[…]`) rather than a name.
    public var isAddressLiteral: Bool { domain.hasPrefix("[") }
}

/// The argument of MAIL FROM: a mailbox, or `<>` for notifications that must not be answered (RFC 5321 4.5.5).
public enum SMTPReversePath: Hashable, Sendable, CustomStringConvertible {
    case null
    case mailbox(SMTPMailbox)

    /// `<>` or `<local@domain>`, as written in a command or a Return-Path: header.
    public var description: String {
        switch self {
        case .null: "<>"
        case .mailbox(let mailbox): "<\(mailbox)>"
        }
    }

    /// The mailbox, or nil for the null reverse-path `<>`.
    public var mailbox: SMTPMailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }
}

/// The argument of RCPT TO: a mailbox, or the bare `<Postmaster>` every server must accept (RFC 5321 4.5.1).
public enum SMTPForwardPath: Hashable, Sendable, CustomStringConvertible {
    case postmaster
    case mailbox(SMTPMailbox)

    /// The path as written in a command: `<Postmaster>` or `<local@domain>`.
    public var description: String {
        switch self {
        case .postmaster: "<Postmaster>"
        case .mailbox(let mailbox): "<\(mailbox)>"
        }
    }
}
