/// The outcome of a look-up as a mail server needs it: records, NXDOMAIN, NODATA, or a temporary failure
/// after which the caller must try again later (defer the mail, never bounce it: RFC 5321 §5.1 and
/// §4.5.4.1).
public enum DNSResult<Record: Hashable & Sendable>: Hashable, Sendable {
    /// The records found (for MX, ordered by preference).
    case records([Record])
    /// The name does not exist (RFC 2308 §2.1).
    case nxdomain
    /// The name exists but has no records of the type asked for (RFC 2308 §2.2).
    case nodata
    /// No server gave an answer: SERVFAIL or another error from each, time-outs, a broken CNAME chain.
    case temporaryFailure(DNSFailure)

    /// The records, or none for every other outcome.
    public var records: [Record] {
        if case .records(let records) = self { return records }
        return []
    }

    /// The same outcome with each record changed by `transform` (records it maps to nil are left out).
    public func compactMap<Other>(_ transform: (Record) -> Other?) -> DNSResult<Other> {
        switch self {
        case .records(let records): .records(records.compactMap(transform))
        case .nxdomain: .nxdomain
        case .nodata: .nodata
        case .temporaryFailure(let failure): .temporaryFailure(failure)
        }
    }
}

/// Why a look-up failed for now (RFC 2308 §7: server failures and time-outs are not answers).
public enum DNSFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Every server that answered gave this error RCODE (SERVFAIL, REFUSED…).
    case serverFailure(DNSRCode)
    /// No server answered in time.
    case timeout
    /// A server could not be reached (the socket failed, TCP was refused).
    case unreachable(String)
    /// The answer's CNAME chain was longer than `DNSDefaults.maxCNAMEHops`.
    case cnameChainTooLong

    /// A sentence for logs and for the deferral's reason.
    public var description: String {
        switch self {
        case .serverFailure(let rcode): "DNS server failure (\(rcode))"
        case .timeout: "DNS query timed out"
        case .unreachable(let reason): "DNS server unreachable: \(reason)"
        case .cnameChainTooLong: "DNS CNAME chain too long"
        }
    }
}

extension DNSResult where Record == MXRecord {
    /// Whether the domain publishes RFC 7505's null MX (a single "0 ." record): it accepts no mail, and
    /// mail to it is bounced at once with 556 5.1.10 (RFC 7505 §4.2).
    public var isNullMX: Bool {
        if case .records(let records) = self, records.count == 1, records[0].isNullMX { return true }
        return false
    }
}
