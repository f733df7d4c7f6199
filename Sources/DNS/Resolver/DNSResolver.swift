import Logging
import NIOCore
import NIOPosix

/// The non-blocking stub resolver: asks recursive nameservers over UDP, falls back to TCP on a
/// truncated answer, follows CNAME chains inside an answer and caches answers for their TTL.
///
/// Every look-up ends in records, NXDOMAIN, NODATA, or a temporary failure on which mail must be
/// deferred, not bounced (`DNSResult`). Only invalid names throw.
public actor DNSResolver {
    /// The servers, time-out and attempts in use.
    public let configuration: DNSResolverConfiguration
    let eventLoopGroup: any EventLoopGroup
    private let clock: DNSClock
    let logger: Logger
    private var cache: DNSCache

    /// A resolver asking `configuration`'s servers on `group`'s event loops, caching on `clock`'s time.
    public init(
        configuration: DNSResolverConfiguration,
        cache: DNSCache = DNSCache(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: DNSClock = .continuous,
        logger: Logger = Logger(label: "correo.dns")
    ) {
        self.configuration = configuration
        self.cache = cache
        self.eventLoopGroup = eventLoopGroup
        self.clock = clock
        self.logger = logger
    }

    /// A resolver configured from `/etc/resolv.conf`.
    public static func system(logger: Logger = Logger(label: "correo.dns")) async throws(DNSError) -> DNSResolver {
        DNSResolver(configuration: try await .system(), logger: logger)
    }

    // MARK: look-ups by record type

    /// The MX records of `domain`, in the order to try them (RFC 5321 §5.1).
    ///
    /// Lowest preference first, equal preferences in random order (RFC 5321 §5.1). `isNullMX` on the result tells RFC
    /// 7505's "no mail here". NODATA means the domain has no MX and mail goes to its address records instead (RFC 5321
    /// §5.1's implicit MX).
    public func mx(_ domain: String) async throws(DNSError) -> DNSResult<MXRecord> {
        let result = await query(name: try DNSName(domain), type: .mx).compactMap { record -> MXRecord? in
            if case .mx(let mx) = record.data { return mx }
            return nil
        }
        guard case .records(let records) = result else { return result }
        return .records(records.shuffled().sorted { $0.preference < $1.preference })
    }

    /// The IPv4 and IPv6 addresses of `host`, IPv4 first.
    ///
    /// The IPv4 (A) and IPv6 (AAAA, RFC 3596) addresses of `host`, asked at once; IPv4 first.
    /// Records of either family are an answer even if the other query failed; otherwise a temporary
    /// failure of either wins over NXDOMAIN and NODATA.
    public func addresses(_ host: String) async throws(DNSError) -> DNSResult<IPAddress> {
        let name = try DNSName(host)
        async let v4 = query(name: name, type: .a)
        async let v6 = query(name: name, type: .aaaa)
        let results = [await v4, await v6]
        let addresses = results.flatMap(\.records).compactMap { record -> IPAddress? in
            switch record.data {
            case .a(let address): .v4(address)
            case .aaaa(let address): .v6(address)
            default: nil
            }
        }
        if !addresses.isEmpty { return .records(addresses) }
        for case .temporaryFailure(let failure) in results { return .temporaryFailure(failure) }
        if results.contains(.nxdomain) { return .nxdomain }
        return .nodata
    }

    /// The TXT records of `name`, each with its strings (`TXTRecord.text` joins them, RFC 7208 §3.3).
    public func txt(_ name: String) async throws(DNSError) -> DNSResult<TXTRecord> {
        await query(name: try DNSName(name), type: .txt).compactMap { record -> TXTRecord? in
            if case .txt(let txt) = record.data { return txt }
            return nil
        }
    }

    /// The names `address` maps back to, from its PTR records under in-addr.arpa or ip6.arpa
    /// (RFC 1035 §3.5, RFC 3596 §2.5).
    public func ptr(_ address: IPAddress) async -> DNSResult<DNSName> {
        await query(name: address.reverseName, type: .ptr).compactMap { record -> DNSName? in
            if case .ptr(let name) = record.data { return name }
            return nil
        }
    }

    /// The TLSA records at `name` (for SMTP, `_25._tcp.` + the MX host: RFC 6698 §3, RFC 7672 §2.2).
    public func tlsa(_ name: String) async throws(DNSError) -> DNSResult<TLSARecord> {
        await query(name: try DNSName(name), type: .tlsa).compactMap { record -> TLSARecord? in
            if case .tlsa(let tlsa) = record.data { return tlsa }
            return nil
        }
    }

    /// The TLSA records for a TCP service: `_PORT._tcp.HOST` (RFC 6698 §3).
    public func tlsa(port: Int, host: String) async throws(DNSError) -> DNSResult<TLSARecord> {
        try await tlsa("_\(port)._tcp.\(host)")
    }

    // MARK: the generic look-up

    /// The records of `type` at `name` (as text), CNAMEs inside the answer followed.
    public func query(name: String, type: DNSType) async throws(DNSError) -> DNSResult<DNSResourceRecord> {
        await query(name: try DNSName(name), type: type)
    }

    /// The records of `type` at `name`: from the cache while they live, else from the nameservers.
    public func query(name: DNSName, type: DNSType) async -> DNSResult<DNSResourceRecord> {
        let key = DNSCache.Key(name: name, type: type)
        switch cache.lookup(key, now: clock.now()) {
        case .records(let records)?: return .records(records)
        case .nxdomain?: return .nxdomain
        case .nodata?: return .nodata
        case nil: break
        }
        let answer: DNSAnswer
        switch await ask(DNSQuestion(name: name, type: type)) {
        case .success(let received): answer = received
        case .failure(let failure): return .temporaryFailure(failure)
        }
        cache.store(answer, for: key, now: clock.now())
        switch answer {
        case .records(let records, _): return .records(records)
        case .nxdomain: return .nxdomain
        case .nodata: return .nodata
        case .serverFailure(let rcode): return .temporaryFailure(.serverFailure(rcode))
        case .cnameChainTooLong: return .temporaryFailure(.cnameChainTooLong)
        }
    }
}
