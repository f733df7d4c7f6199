import Crypto

/// The MTA-STS policy correo publishes for its domains (RFC 8461 §3.2): which MX hosts senders may
/// deliver to, and whether they must (`enforce`), should only report (`testing`) or may forget the
/// policy (`none`).
///
/// Only the publishing side: honouring other domains' policies is the relay's.
public struct PublishedMTASTSPolicy: Sendable, Equatable {
    /// The policy's `mode`.
    public enum Mode: String, Sendable, CaseIterable {
        /// Senders must not deliver over unverified TLS or to other hosts.
        case enforce
        /// Senders deliver anyway and report failures (TLS-RPT): the safe start.
        case testing
        /// Senders drop the policy they cached: how a domain leaves MTA-STS.
        case none
    }

    /// The longest `max_age` RFC 8461 §3.2 allows: about a year.
    public static let longestMaxAge = 31_557_600

    /// The mode; `testing` by default, until the operator has seen the TLS reports.
    public var mode = Mode.testing
    /// The `mx` patterns; empty means the server's own hostname.
    public var mx: [String] = []
    /// Seconds senders may cache the policy; a week by default (RFC 8461 §3.2 recommends weeks).
    public var maxAge = 604_800

    /// The default policy.
    public init(mode: Mode = .testing, mx: [String] = [], maxAge: Int = 604_800) {
        self.mode = mode
        self.mx = mx
        self.maxAge = maxAge
    }

    /// The policy file, lines ended by CRLF as RFC 8461 §3.2 writes them; `hostname` stands in for an
    /// empty `mx`.
    public func text(hostname: String) -> String {
        let hosts = mx.isEmpty ? [hostname] : mx
        return "version: STSv1\r\nmode: \(mode.rawValue)\r\n"
            + hosts.map { "mx: \($0)\r\n" }.joined()
            + "max_age: \(maxAge)\r\n"
    }

    /// The `id` of the `_mta-sts` TXT record (RFC 8461 §3.1): derived from the policy text, so that it
    /// changes exactly when the policy does and senders fetch it again.
    ///
    /// 20 hex digits of its SHA-256 (at most 32 alphanumerics are allowed).
    public func id(hostname: String) -> String {
        let digest = SHA256.hash(data: Array(text(hostname: hostname).utf8))
        return digest.prefix(10).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The `_mta-sts.DOMAIN` TXT record's text.
    public func record(hostname: String) -> String { "v=STSv1; id=\(id(hostname: hostname))" }
}
