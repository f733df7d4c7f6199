#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 address as its four octets in network order (the data of an A record, RFC 1035 §3.4.1).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The four octets, most significant first.
    public let octets: [UInt8]

    /// An address from four octets; nil for any other count.
    public init?(octets: [UInt8]) {
        guard octets.count == 4 else { return nil }
        self.octets = octets
    }

    /// An address from its dotted-quad text (`127.0.0.1`); nil when it is not one.
    public init?(_ text: String) {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        octets = withUnsafeBytes(of: &address) { Array($0) }
    }

    /// The dotted-quad text.
    public var description: String { octets.map(String.init).joined(separator: ".") }
}

/// An IPv6 address as its sixteen octets in network order (the data of an AAAA record, RFC 3596 §2.2).
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The sixteen octets, most significant first.
    public let octets: [UInt8]

    /// An address from sixteen octets; nil for any other count.
    public init?(octets: [UInt8]) {
        guard octets.count == 16 else { return nil }
        self.octets = octets
    }

    /// An address from its text (`::1`, `2001:db8::1`); nil when it is not one.
    public init?(_ text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        octets = withUnsafeBytes(of: &address) { Array($0) }
    }

    /// The text form of RFC 5952 (as `inet_ntop` writes it).
    public var description: String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: octets) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An IPv4 or IPv6 address: what `addresses(_:)` finds and `ptr(_:)` looks up.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address (A record).
    case v4(IPv4Address)
    /// An IPv6 address (AAAA record).
    case v6(IPv6Address)

    /// An address from its text, IPv4 or IPv6; nil when it is neither.
    public init?(_ text: String) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// The address's text form.
    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// The name under which the address's PTR record lives: `d.c.b.a.in-addr.arpa` (RFC 1035 §3.5) or
    /// the nibbles reversed under `ip6.arpa` (RFC 3596 §2.5).
    public var reverseName: DNSName {
        switch self {
        case .v4(let address):
            let labels = address.octets.reversed().map { Array(String($0).utf8) }
            return DNSName(uncheckedLabels: labels + [Array("in-addr".utf8), Array("arpa".utf8)])
        case .v6(let address):
            let hex = Array("0123456789abcdef".utf8)
            var labels: [[UInt8]] = []
            for octet in address.octets.reversed() {
                labels.append([hex[Int(octet & 0x0F)]])
                labels.append([hex[Int(octet >> 4)]])
            }
            return DNSName(uncheckedLabels: labels + [Array("ip6".utf8), Array("arpa".utf8)])
        }
    }
}
