import DNS

/// The relay's look-ups through correo's own resolver (the `DNS` target).
public struct DNSRelayResolver: RelayResolver {
    let resolver: DNSResolver

    /// Makes the relay's resolver from correo's own.
    public init(_ resolver: DNSResolver) { self.resolver = resolver }

    /// The MX records of `domain`; the null MX (RFC 7505) comes back as the host ".".
    public func mailExchangers(of domain: String) async -> LookupResult<[MailExchanger]> {
        do {
            return Self.convert(try await resolver.mx(domain)) {
                MailExchanger(preference: $0.preference, host: $0.exchange.isRoot ? "." : $0.exchange.description)
            }
        } catch {
            // Only a name that cannot be a domain throws: there is no such domain to deliver to.
            return .noSuchDomain
        }
    }

    /// The IPv6 and IPv4 addresses of `host`, as text, in the order to try them.
    public func addresses(of host: String) async -> LookupResult<[String]> {
        do {
            return Self.convert(try await resolver.addresses(host)) { $0.description }
        } catch {
            return .noSuchDomain
        }
    }

    static func convert<Record, Value>(
        _ result: DNSResult<Record>,
        _ transform: (Record) -> Value
    ) -> LookupResult<[Value]> {
        switch result {
        case .records(let records): .records(records.map(transform))
        case .nodata: .noRecords
        case .nxdomain: .noSuchDomain
        case .temporaryFailure(let failure): .temporaryFailure("\(failure)")
        }
    }
}
