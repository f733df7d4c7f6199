/// What one response says about one question, once its CNAME chain is followed: the records, that the
/// name does not exist, that it has no records of the type, or that the server failed.
///
/// This is the pure part of a look-up: the resolver asks the network, this reads the answer, the cache
/// keeps it.
public enum DNSAnswer: Hashable, Sendable {
    /// The RRset of the asked type at the end of the CNAME chain, with the TTL it may be cached for:
    /// the least TTL of the RRset and of the CNAMEs that led to it (RFC 2181 §5.2).
    case records([DNSResourceRecord], ttl: UInt32)
    /// NXDOMAIN: the name (or the end of its CNAME chain) does not exist (RFC 2308 §2.1), cacheable for
    /// `negativeTTL` seconds when the response carried its zone's SOA (RFC 2308 §5).
    case nxdomain(negativeTTL: UInt32?)
    /// NODATA: the name exists but has no records of the type (RFC 2308 §2.2).
    case nodata(negativeTTL: UInt32?)
    /// The server answered with an error RCODE (SERVFAIL, REFUSED, FORMERR, NOTIMP…): another server
    /// may answer, and if none does the look-up failed for now (RFC 2308 §7.1).
    case serverFailure(DNSRCode)
    /// The answer's CNAME chain is longer than `DNSDefaults.maxCNAMEHops` (or loops).
    case cnameChainTooLong

    /// Reads `response` as the answer to `question` (RFC 1034 §4.3.2 step 3, RFC 2308 §2).
    ///
    /// CNAMEs in the answer section are followed from the question's name, at most `maxCNAMEHops` of
    /// them, unless CNAME itself is asked for. Only the answer section is trusted for the records, and
    /// only records owned by a name on the chain; the SOA for the negative TTL is taken from the
    /// authority section.
    public static func interpret(
        _ response: DNSMessage,
        for question: DNSQuestion,
        maxCNAMEHops: Int = DNSDefaults.maxCNAMEHops
    ) -> DNSAnswer {
        let rcode = response.rcode
        guard rcode == .noError || rcode == .nxDomain else { return .serverFailure(rcode) }
        var name = question.name
        var ttl = UInt32.max
        var hops = 0
        while true {
            let records = response.answers.filter {
                $0.name == name && $0.type == question.type && $0.rawClass == question.class.rawValue
            }
            if !records.isEmpty {
                return .records(records, ttl: records.reduce(ttl) { min($0, effectiveTTL($1.ttl)) })
            }
            guard question.type != .cname,
                let alias = response.answers.first(where: { $0.name == name && $0.type == .cname }),
                case .cname(let target) = alias.data
            else { break }
            hops += 1
            guard hops <= maxCNAMEHops else { return .cnameChainTooLong }
            ttl = min(ttl, effectiveTTL(alias.ttl))
            name = target
        }
        let negativeTTL = negativeCacheTTL(response)
        // RFC 6604 §3: the RCODE speaks of the last name of the chain.
        return rcode == .nxDomain ? .nxdomain(negativeTTL: negativeTTL) : .nodata(negativeTTL: negativeTTL)
    }

    /// A TTL as RFC 2181 §8 reads it: values with the top bit set count as zero.
    static func effectiveTTL(_ ttl: UInt32) -> UInt32 { ttl & 0x8000_0000 == 0 ? ttl : 0 }

    /// The TTL of a negative answer: the least of the SOA record's own TTL and its MINIMUM field
    /// (RFC 2308 §5); nil without an SOA in the authority section, and then it is not cached.
    static func negativeCacheTTL(_ response: DNSMessage) -> UInt32? {
        for record in response.authorities {
            if case .soa(let soa) = record.data { return min(effectiveTTL(record.ttl), effectiveTTL(soa.minimum)) }
        }
        return nil
    }
}
