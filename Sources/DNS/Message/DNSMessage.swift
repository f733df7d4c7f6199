/// A DNS message: header, question, answer, authority and additional sections (RFC 1035 §4.1).
///
/// `decode(_:)` reads one from the wire and `encoded()` writes one; the section counts of the header
/// are those of the arrays.
public struct DNSMessage: Hashable, Sendable {
    /// The header: ID, flags and RCODE (RFC 1035 §4.1.1).
    public var header: DNSHeader
    /// The question section (RFC 1035 §4.1.2).
    public var questions: [DNSQuestion]
    /// The answer section (RFC 1035 §4.1.3).
    public var answers: [DNSResourceRecord]
    /// The authority section: in a negative answer, the zone's SOA (RFC 2308 §3).
    public var authorities: [DNSResourceRecord]
    /// The additional section, where the OPT pseudo-record lives (RFC 6891 §6.1.1).
    public var additionals: [DNSResourceRecord]

    /// A message from its parts.
    public init(
        header: DNSHeader,
        questions: [DNSQuestion] = [],
        answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [],
        additionals: [DNSResourceRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }

    /// A query for one question with recursion desired and an EDNS0 OPT record advertising
    /// `udpPayloadSize` (RFC 1035 §4.1, RFC 6891 §6.1.2, §6.2.5); with `udpPayloadSize` nil, a plain
    /// RFC 1035 query without EDNS (for servers that answer FORMERR to EDNS, RFC 6891 §7).
    public static func query(
        id: UInt16,
        question: DNSQuestion,
        recursionDesired: Bool = true,
        udpPayloadSize: UInt16? = DNSDefaults.udpPayloadSize
    ) -> DNSMessage {
        var header = DNSHeader(id: id)
        header.recursionDesired = recursionDesired
        return DNSMessage(
            header: header,
            questions: [question],
            additionals: udpPayloadSize.map { [.opt(udpPayloadSize: $0)] } ?? []
        )
    }

    /// The OPT pseudo-record of the additional section, if any (RFC 6891 §6.1.1: at most one).
    public var opt: DNSResourceRecord? { additionals.first { $0.type == .opt } }

    /// The response code, with the OPT record's upper 8 bits when there is one (RFC 6891 §6.1.3).
    public var rcode: DNSRCode {
        let extended = opt.map { UInt16($0.ttl >> 24) << 4 } ?? 0
        return DNSRCode(rawValue: extended | UInt16(header.rcode))
    }
}

/// The 12-octet header of a message (RFC 1035 §4.1.1); the section counts are not kept here but derived
/// from the message's sections.
public struct DNSHeader: Hashable, Sendable {
    /// The ID that matches a response to its query (RFC 1035 §4.1.1, RFC 5452 §4.3).
    public var id: UInt16
    /// QR: a response rather than a query.
    public var isResponse = false
    /// OPCODE: 0 for a standard query.
    public var opcode: UInt8 = 0
    /// AA: an authoritative answer.
    public var authoritativeAnswer = false
    /// TC: the message was truncated to fit the transport; retry over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
    public var truncated = false
    /// RD: recursion desired.
    public var recursionDesired = false
    /// RA: recursion available.
    public var recursionAvailable = false
    /// AD: authentic data, set by a validating resolver (RFC 4035 §3.2.3).
    public var authenticData = false
    /// CD: checking disabled (RFC 4035 §3.2.2).
    public var checkingDisabled = false
    /// The header's 4 bits of RCODE (see `DNSMessage.rcode` for the extended code).
    public var rcode: UInt8 = 0

    /// A header with the given ID and every flag clear.
    public init(id: UInt16) { self.id = id }

    /// The 16 bits of flags as they are on the wire (RFC 1035 §4.1.1; AD and CD from RFC 4035).
    public var flags: UInt16 {
        var bits = UInt16(opcode & 0x0F) << 11 | UInt16(rcode & 0x0F)
        if isResponse { bits |= 0x8000 }
        if authoritativeAnswer { bits |= 0x0400 }
        if truncated { bits |= 0x0200 }
        if recursionDesired { bits |= 0x0100 }
        if recursionAvailable { bits |= 0x0080 }
        if authenticData { bits |= 0x0020 }
        if checkingDisabled { bits |= 0x0010 }
        return bits
    }

    /// A header from its ID and flag bits (the Z bit is dropped).
    public init(id: UInt16, flags: UInt16) {
        self.id = id
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        authoritativeAnswer = flags & 0x0400 != 0
        truncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        rcode = UInt8(flags & 0x000F)
    }
}

/// One entry of the question section: QNAME, QTYPE, QCLASS (RFC 1035 §4.1.2).
public struct DNSQuestion: Hashable, Sendable {
    /// QNAME.
    public var name: DNSName
    /// QTYPE.
    public var type: DNSType
    /// QCLASS, IN unless said otherwise.
    public var `class`: DNSClass

    /// A question.
    public init(name: DNSName, type: DNSType, class: DNSClass = .in) {
        self.name = name
        self.type = type
        self.class = `class`
    }
}

/// A resource record: owner name, TYPE, CLASS, TTL and RDATA (RFC 1035 §4.1.3).
///
/// For the OPT pseudo-record the class holds the requestor's UDP payload size and the TTL the extended
/// RCODE, version and flags (RFC 6891 §6.1.3), so both are kept as raw numbers.
public struct DNSResourceRecord: Hashable, Sendable {
    /// The owner name.
    public var name: DNSName
    /// TYPE; for a record read from the wire, the type `data` was read as (or `unknown`).
    public var type: DNSType
    /// CLASS, as the raw 16 bits (the UDP payload size for OPT).
    public var rawClass: UInt16
    /// TTL in seconds (RFC 2181 §8: values with the top bit set are read as 0).
    public var ttl: UInt32
    /// RDATA.
    public var data: DNSRecordData

    /// A record in class IN, or with the raw class given.
    public init(name: DNSName, type: DNSType, rawClass: UInt16 = DNSClass.in.rawValue, ttl: UInt32, data: DNSRecordData)
    {
        self.name = name
        self.type = type
        self.rawClass = rawClass
        self.ttl = ttl
        self.data = data
    }

    /// An OPT pseudo-record advertising a UDP payload size, EDNS version 0, no options (RFC 6891 §6.1.2).
    public static func opt(udpPayloadSize: UInt16) -> DNSResourceRecord {
        DNSResourceRecord(name: .root, type: .opt, rawClass: udpPayloadSize, ttl: 0, data: .opt([]))
    }
}
