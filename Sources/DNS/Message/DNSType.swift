/// A resource record TYPE or question QTYPE (RFC 1035 §3.2.2), open to values this codec does not know.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit value on the wire.
    public var rawValue: UInt16
    /// A type by its wire value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A host address (RFC 1035 §3.4.1).
    public static let a = DNSType(rawValue: 1)
    /// An authoritative name server (RFC 1035 §3.3.11).
    public static let ns = DNSType(rawValue: 2)
    /// The canonical name for an alias (RFC 1035 §3.3.1).
    public static let cname = DNSType(rawValue: 5)
    /// The start of a zone of authority (RFC 1035 §3.3.13); in negative answers, their TTL (RFC 2308).
    public static let soa = DNSType(rawValue: 6)
    /// A domain name pointer, for reverse look-ups (RFC 1035 §3.3.12).
    public static let ptr = DNSType(rawValue: 12)
    /// Mail exchange (RFC 1035 §3.3.9, RFC 5321 §5.1, RFC 7505 null MX).
    public static let mx = DNSType(rawValue: 15)
    /// Text strings (RFC 1035 §3.3.14): SPF, DKIM keys, DMARC policies.
    public static let txt = DNSType(rawValue: 16)
    /// An IPv6 host address (RFC 3596 §2.1).
    public static let aaaa = DNSType(rawValue: 28)
    /// The EDNS0 pseudo-record (RFC 6891 §6.1).
    public static let opt = DNSType(rawValue: 41)
    /// A TLS certificate association, for DANE (RFC 6698 §2).
    public static let tlsa = DNSType(rawValue: 52)

    /// The type's mnemonic, or `TYPEnnn` for others (RFC 3597 §5).
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .opt: "OPT"
        case .tlsa: "TLSA"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A resource record CLASS (RFC 1035 §3.2.4); only IN is asked for.
public struct DNSClass: RawRepresentable, Hashable, Sendable {
    /// The 16-bit value on the wire.
    public var rawValue: UInt16
    /// A class by its wire value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The Internet (RFC 1035 §3.2.4).
    public static let `in` = DNSClass(rawValue: 1)
}

/// A response code (RFC 1035 §4.1.1), 12 bits once the OPT record's upper bits join it (RFC 6891 §6.1.3).
public struct DNSRCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The value: the header's 4 bits, plus the OPT record's extended bits shifted left by 4.
    public var rawValue: UInt16
    /// A response code by its value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No error (RFC 1035 §4.1.1).
    public static let noError = DNSRCode(rawValue: 0)
    /// The server could not read the query (RFC 1035 §4.1.1).
    public static let formErr = DNSRCode(rawValue: 1)
    /// The server failed to answer: temporary (RFC 1035 §4.1.1, RFC 2308 §7.1).
    public static let servFail = DNSRCode(rawValue: 2)
    /// The name does not exist (RFC 1035 §4.1.1, RFC 2308 §2.1).
    public static let nxDomain = DNSRCode(rawValue: 3)
    /// The server does not support the kind of query (RFC 1035 §4.1.1).
    public static let notImp = DNSRCode(rawValue: 4)
    /// The server refuses to answer (RFC 1035 §4.1.1).
    public static let refused = DNSRCode(rawValue: 5)

    /// The code's mnemonic (RFC 6895 §2.3), or `RCODEnnn`.
    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        default: "RCODE\(rawValue)"
        }
    }
}
