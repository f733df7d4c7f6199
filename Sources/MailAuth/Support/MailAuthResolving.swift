import DNS

/// The DNS look-ups sender authentication makes.
///
/// `DNSResolver` answers them; the checks take the protocol so that a test may hand them a fixed zone (RFC 7208's own
/// test suite is written as zones).
public protocol MailAuthResolving: Sendable {
    /// The TXT records at `name` (DKIM keys, SPF and DMARC records).
    func txt(_ name: String) async throws(DNSError) -> DNSResult<TXTRecord>
    /// The A and AAAA records of `host` (SPF `a`, `mx`, `exists`, `ptr`).
    func addresses(_ host: String) async throws(DNSError) -> DNSResult<IPAddress>
    /// The MX records of `domain` (SPF `mx`).
    func mx(_ domain: String) async throws(DNSError) -> DNSResult<MXRecord>
    /// The names an address maps back to (SPF `ptr` and `%{p}`).
    func ptr(_ address: IPAddress) async -> DNSResult<DNSName>
}

extension DNSResolver: MailAuthResolving {}
