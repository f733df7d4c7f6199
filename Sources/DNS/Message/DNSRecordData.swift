/// The RDATA of a resource record, read according to its type (RFC 1035 §3.3, §3.4).
///
/// Types this codec does not know keep their octets as they came (RFC 3597 §4); names inside them are
/// not decompressed, which RFC 3597 §4 forbids senders to compress for new types anyway.
public enum DNSRecordData: Hashable, Sendable {
    /// An IPv4 address (RFC 1035 §3.4.1).
    case a(IPv4Address)
    /// An IPv6 address (RFC 3596 §2.2).
    case aaaa(IPv6Address)
    /// The canonical name of an alias (RFC 1035 §3.3.1).
    case cname(DNSName)
    /// A name server of the zone (RFC 1035 §3.3.11).
    case ns(DNSName)
    /// The name an address maps back to (RFC 1035 §3.3.12).
    case ptr(DNSName)
    /// A mail exchange and its preference (RFC 1035 §3.3.9).
    case mx(MXRecord)
    /// One or more character-strings (RFC 1035 §3.3.14).
    case txt(TXTRecord)
    /// The start of a zone of authority (RFC 1035 §3.3.13).
    case soa(SOARecord)
    /// A DANE certificate association (RFC 6698 §2.1).
    case tlsa(TLSARecord)
    /// The EDNS0 options of an OPT pseudo-record (RFC 6891 §6.1.2).
    case opt([EDNSOption])
    /// The RDATA of a type this codec does not read, octet for octet (RFC 3597 §4).
    case unknown([UInt8])
}

/// An MX record's data: where mail for the owner name goes, lower preference first (RFC 5321 §5.1).
public struct MXRecord: Hashable, Sendable {
    /// The PREFERENCE: lower values are tried first (RFC 1035 §3.3.9).
    public var preference: UInt16
    /// The host that accepts the mail (RFC 1035 §3.3.9).
    public var exchange: DNSName

    /// An MX record's data.
    public init(preference: UInt16, exchange: DNSName) {
        self.preference = preference
        self.exchange = exchange
    }

    /// Whether this is RFC 7505's null MX, "0 .": the domain accepts no mail at all (RFC 7505 §3).
    ///
    /// It is one only when it is the domain's single MX record.
    public var isNullMX: Bool { preference == 0 && exchange.isRoot }
}

/// A TXT record's data: its character-strings, each at most 255 octets (RFC 1035 §3.3.14).
public struct TXTRecord: Hashable, Sendable {
    /// The character-strings, as they came, without their length octets.
    public var strings: [[UInt8]]

    /// A TXT record's data from its character-strings.
    public init(strings: [[UInt8]]) { self.strings = strings }

    /// The strings concatenated without anything between them, as SPF (RFC 7208 §3.3), DKIM (RFC 6376
    /// §3.6.2.2) and DMARC (RFC 7489 §6.1) read a record that spans several strings.
    public var text: [UInt8] { strings.flatMap { $0 } }
}

/// An SOA record's data (RFC 1035 §3.3.13); in a negative answer, its TTL and MINIMUM bound how long
/// the answer may be cached (RFC 2308 §5).
public struct SOARecord: Hashable, Sendable {
    /// The primary name server of the zone.
    public var mname: DNSName
    /// The mailbox of the zone's administrator, as a name.
    public var rname: DNSName
    /// The zone's version.
    public var serial: UInt32
    /// Seconds between secondary refreshes.
    public var refresh: UInt32
    /// Seconds before a failed refresh is retried.
    public var retry: UInt32
    /// Seconds after which a secondary stops answering.
    public var expire: UInt32
    /// The TTL of negative answers from the zone (RFC 2308 §4).
    public var minimum: UInt32

    /// An SOA record's data.
    public init(
        mname: DNSName,
        rname: DNSName,
        serial: UInt32,
        refresh: UInt32,
        retry: UInt32,
        expire: UInt32,
        minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// A TLSA record's data: which certificate a TLS server must present (RFC 6698 §2.1).
public struct TLSARecord: Hashable, Sendable {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 6698 §2.1.1, RFC 7218).
    public var certificateUsage: UInt8
    /// Selector: 0 the full certificate, 1 its SubjectPublicKeyInfo (RFC 6698 §2.1.2).
    public var selector: UInt8
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512 (RFC 6698 §2.1.3).
    public var matchingType: UInt8
    /// The certificate association data (RFC 6698 §2.1.4).
    public var certificateAssociationData: [UInt8]

    /// A TLSA record's data.
    public init(certificateUsage: UInt8, selector: UInt8, matchingType: UInt8, certificateAssociationData: [UInt8]) {
        self.certificateUsage = certificateUsage
        self.selector = selector
        self.matchingType = matchingType
        self.certificateAssociationData = certificateAssociationData
    }
}

/// One option of an OPT pseudo-record (RFC 6891 §6.1.2).
public struct EDNSOption: Hashable, Sendable {
    /// OPTION-CODE.
    public var code: UInt16
    /// OPTION-DATA.
    public var data: [UInt8]

    /// An EDNS0 option.
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}
