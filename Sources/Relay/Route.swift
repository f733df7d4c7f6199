/// An MX record: RFC 1035 §3.3.9.
public struct MailExchanger: Hashable, Sendable {
    /// The preference: lower is tried first (RFC 5321 §5.1).
    public var preference: UInt16
    /// The exchange's host name; "." for a null MX (RFC 7505).
    public var host: String

    /// Makes an MX record from its preference and exchange host.
    public init(preference: UInt16, host: String) {
        self.preference = preference
        self.host = host
    }
}

/// What the DNS said when asked for a name's MX records or addresses.
public enum LookupResult<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Records of the type asked for.
    case records(Value)
    /// The name exists but holds no record of that type (NODATA).
    case noRecords
    /// The name does not exist (NXDOMAIN): a permanent answer.
    case noSuchDomain
    /// No answer that can be trusted (SERVFAIL, timeout): try again later, never bounce on it.
    case temporaryFailure(String)
}

/// The relay's view of the DNS: the `DNS` target's resolver, or a fixed table for a smarthost-only set-up.
public protocol RelayResolver: Sendable {
    /// The MX records of `domain`.
    func mailExchangers(of domain: String) async -> LookupResult<[MailExchanger]>
    /// The IPv6 and IPv4 addresses of `host`, in the order to try them.
    func addresses(of host: String) async -> LookupResult<[String]>
}

/// Where mail for one domain goes, by RFC 5321 §5.1 and RFC 7505.
public enum Route: Hashable, Sendable {
    /// Host names in the order to try them.
    case hosts([String])
    /// An address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`): that address only.
    case address(String)
    /// RFC 7505: the domain says it accepts no mail (`MX 0 .`): bounce at once with 5.1.10.
    case nullMX
    /// NXDOMAIN: no such domain, bounce with 5.1.2.
    case noSuchDomain
    /// The DNS could not answer: try again later.
    case temporaryFailure(String)

    /// RFC 5321 §5.1: MX hosts by preference, random order among equal preferences (so that load spreads);
    /// no MX record: the domain itself (the "implicit MX"); a single MX of "." is a null MX (RFC 7505).
    public static func plan(
        domain: String,
        answer: LookupResult<[MailExchanger]>,
        limit: Int = RelayDefaults.maximumMXHosts,
        shuffle: (inout [String]) -> Void = { $0.shuffle() }
    ) -> Route {
        if let literal = addressLiteral(domain) { return .address(literal) }
        switch answer {
        case .noSuchDomain: return .noSuchDomain
        case .temporaryFailure(let why): return .temporaryFailure(why)
        case .noRecords, .records([]): return .hosts([domain])
        case .records(let exchangers):
            if exchangers.contains(where: { $0.host == "." || $0.host.isEmpty }) {
                // RFC 7505 §3: a null MX is the only record; with others beside it, it is ignored.
                let others = exchangers.filter { $0.host != "." && !$0.host.isEmpty }
                if others.isEmpty { return .nullMX }
                return plan(domain: domain, answer: .records(others), limit: limit, shuffle: shuffle)
            }
            var ordered: [String] = []
            for preference in Set(exchangers.map(\.preference)).sorted() {
                var equal = exchangers.filter { $0.preference == preference }.map { Self.normalized($0.host) }
                shuffle(&equal)
                for host in equal where !ordered.contains(host) { ordered.append(host) }
            }
            return .hosts(Array(ordered.prefix(limit)))
        }
    }

    /// `[192.0.2.1]` → "192.0.2.1"; `[IPv6:2001:db8::1]` → "2001:db8::1" (RFC 5321 §4.1.3).
    static func addressLiteral(_ domain: String) -> String? {
        guard domain.hasPrefix("["), domain.hasSuffix("]") else { return nil }
        let inner = domain.dropFirst().dropLast()
        if inner.lowercased().hasPrefix("ipv6:") { return String(inner.dropFirst(5)) }
        return String(inner)
    }

    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }
}
