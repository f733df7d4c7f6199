import DNS
import MailAuth

/// A zone held in memory, for the checks' logic.
///
/// In the manner of RFC 7208's test suite (each case a zone and a query). The same code also runs against dnsmasq (PeerTests).
struct FixedZone: MailAuthResolving {
    var txt: [String: [String]] = [:]
    var addresses: [String: [String]] = [:]
    var mx: [String: [(Int, String)]] = [:]
    var ptr: [String: [String]] = [:]
    /// Names whose look-ups fail for now (SERVFAIL).
    var failing: Set<String> = []
    /// Names that exist (NODATA rather than NXDOMAIN for types they lack).
    var existing: Set<String> = []

    private func outcome<R>(_ name: String, _ records: [R]?) -> DNSResult<R> {
        let key = name.lowercased()
        if failing.contains(key) { return .temporaryFailure(.serverFailure(DNSRCode(rawValue: 2))) }
        if let records, !records.isEmpty { return .records(records) }
        let exists = existing.contains(key) || txt[key] != nil || addresses[key] != nil || mx[key] != nil
        return exists ? .nodata : .nxdomain
    }

    func txt(_ name: String) async throws(DNSError) -> DNSResult<TXTRecord> {
        outcome(name, txt[name.lowercased()]?.map { TXTRecord(strings: [Array($0.utf8)]) })
    }

    func addresses(_ host: String) async throws(DNSError) -> DNSResult<IPAddress> {
        outcome(host, addresses[host.lowercased()]?.compactMap(IPAddress.init))
    }

    func mx(_ domain: String) async throws(DNSError) -> DNSResult<MXRecord> {
        outcome(
            domain,
            mx[domain.lowercased()]?.compactMap { entry in
                (try? DNSName(entry.1)).map { MXRecord(preference: UInt16(entry.0), exchange: $0) }
            }
        )
    }

    func ptr(_ address: IPAddress) async -> DNSResult<DNSName> {
        outcome(address.description, ptr[address.description]?.compactMap { try? DNSName($0) })
    }
}
