/// RFC 5322 3.4 mailbox: an optional display name and an addr-spec.
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
    /// The display name, encoded words decoded and quoting removed; nil when absent.
    public var displayName: String?
    /// The local part, without quotes (`john doe` for `"john doe"@example.org`).
    public var localPart: String
    /// The domain (`example.org`, or a literal such as `[192.0.2.1]`); empty when the address had none.
    public var domain: String
    /// The obsolete source route before the address, such as `@relay.example,@other.example`.
    ///
    /// RFC 5322 4.4 obs-route, without its final colon; nil when there is none. IMAP's ENVELOPE reports it as addr-adl (RFC 3501 7.4.2); it plays no part in delivery.
    public var route: String?

    /// Makes a mailbox.
    public init(displayName: String? = nil, localPart: String, domain: String, route: String? = nil) {
        self.displayName = displayName
        self.localPart = localPart
        self.domain = domain
        self.route = route
    }

    /// Makes a mailbox from `local@domain` (split at the last `@`) and an optional name.
    public init(_ address: String, displayName: String? = nil) {
        if let (written, domain) = EmailAddress.split(address) {
            var local = written
            if local.count >= 2, local.hasPrefix("\""), local.hasSuffix("\"") {
                local = String(local.dropFirst().dropLast())
            }
            self.init(displayName: displayName, localPart: local, domain: domain)
        } else {
            self.init(displayName: displayName, localPart: address, domain: "")
        }
    }

    /// The addr-spec, `local@domain`, with the local part quoted when it is not a dot-atom.
    public var address: String {
        let local = Self.isDotAtom(localPart) ? localPart : Self.quote(localPart)
        return domain.isEmpty ? local : "\(local)@\(domain)"
    }

    /// The mailbox for a header: `Name <local@domain>` with the name encoded as RFC 5322 / 2047 need,
    /// or just the address when there is no name.
    public var encoded: String {
        guard let displayName, !displayName.isEmpty else { return address }
        return "\(EncodedWord.encodePhrase(displayName)) <\(address)>"
    }

    /// Readable form (display names decoded), for logs and messages to users.
    public var description: String {
        guard let displayName, !displayName.isEmpty else { return address }
        return "\(displayName) <\(address)>"
    }

    static func isDotAtom(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.first != ASCII.dot, bytes.last != ASCII.dot else { return false }
        var previousDot = false
        for byte in bytes {
            if byte == ASCII.dot {
                if previousDot { return false }
                previousDot = true
            } else {
                guard AddressSyntax.isAtext(byte) else { return false }
                previousDot = false
            }
        }
        return true
    }

    static func quote(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}

/// RFC 5322 3.4 address: a mailbox or a named group of mailboxes.
public enum Address: Sendable, Hashable, CustomStringConvertible {
    /// A single mailbox.
    case mailbox(Mailbox)
    /// `name: member, member;` (the list may be empty, as in `undisclosed-recipients:;`).
    case group(name: String, members: [Mailbox])

    /// The mailboxes this address stands for: itself, or the group's members.
    public var mailboxes: [Mailbox] {
        switch self {
        case .mailbox(let mailbox): return [mailbox]
        case .group(_, let members): return members
        }
    }

    /// The address for a header.
    public var encoded: String {
        switch self {
        case .mailbox(let mailbox): return mailbox.encoded
        case .group(let name, let members):
            return EncodedWord.encodePhrase(name) + ": " + members.map(\.encoded).joined(separator: ", ") + ";"
        }
    }

    /// Readable form (display names decoded), for logs and messages to users.
    public var description: String {
        switch self {
        case .mailbox(let mailbox): return mailbox.description
        case .group(let name, let members):
            return "\(name): " + members.map(\.description).joined(separator: ", ") + ";"
        }
    }

    /// Parses an RFC 5322 3.4 address-list (To, Cc, From, Reply-To…), accepting the obsolete forms of
    /// 4.4 (routes, empty list elements, comments anywhere, old-style `addr (Name)`).
    ///
    /// Never fails: junk
    /// is skipped and the rest returned.
    ///
    /// With `decodingEncodedWords` false, display names keep their RFC 2047 words as written (what
    /// IMAP ENVELOPE sends); quoting is still removed. At most `MailCoreDefaults.maxAddressesPerField`
    /// mailboxes are returned.
    public static func parseList(_ bytes: some Collection<UInt8>, decodingEncodedWords: Bool = true) -> [Address] {
        var parser = AddressListParser(
            tokens: AddressTokenizer.tokenize(Array(bytes)),
            decodesEncodedWords: decodingEncodedWords
        )
        return parser.parseList()
    }

    /// Parses an address list given as text.
    public static func parseList(_ text: String, decodingEncodedWords: Bool = true) -> [Address] {
        parseList(Array(text.utf8), decodingEncodedWords: decodingEncodedWords)
    }

    /// Every mailbox in an address list, groups flattened.
    public static func mailboxes(in bytes: some Collection<UInt8>) -> [Mailbox] {
        parseList(bytes).flatMap(\.mailboxes)
    }
}

extension MessageHeader {
    /// The addresses in every field called `name` (From, To, Cc…), in order.
    public func addresses(named name: String) -> [Address] {
        fields(named: name).flatMap { Address.parseList($0.unfoldedValue) }
    }
}
