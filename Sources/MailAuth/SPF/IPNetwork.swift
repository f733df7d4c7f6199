import DNS

/// The network of an `ip4:` or `ip6:` mechanism (RFC 7208 §5.6): an address and a prefix length.
public struct IPNetwork: Sendable, Hashable {
    /// The address the prefix is taken from.
    public var address: IPAddress
    /// How many leading bits of `address` a client address must share to be in the network.
    public var prefixLength: Int

    /// Parses `192.0.2.0/24` (with `ipv6` false) or `2001:db8::/32` (true), or a single address.
    public init?(_ text: String, ipv6: Bool) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if ipv6 {
            guard let address = IPv6Address(String(parts[0])) else { return nil }
            self.address = .v6(address)
        } else {
            // inet_pton takes only the dotted quad; §5.6 wants exactly that.
            guard let address = IPv4Address(String(parts[0])), parts[0].split(separator: ".").count == 4 else {
                return nil
            }
            self.address = .v4(address)
        }
        let maximum = ipv6 ? 128 : 32
        if parts.count == 2 {
            guard let length = SPFRecord.cidrLength(parts[1], max: maximum) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
    }

    /// Whether `other`, of the same family, is inside the network.
    public func contains(_ other: IPAddress) -> Bool {
        IPPrefix.matches(address, other, v4: prefixLength, v6: prefixLength)
    }
}

enum IPPrefix {
    /// Whether the first `length` bits of `a` and `b` are the same.
    static func matches(_ a: [UInt8], _ b: [UInt8], length: Int) -> Bool {
        guard a.count == b.count else { return false }
        var remaining = length
        for index in a.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a[index] & mask != b[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Whether `address` is in `candidate` with the mechanism's CIDR length for its family.
    static func matches(_ address: IPAddress, _ candidate: IPAddress, v4: Int, v6: Int) -> Bool {
        switch (address, candidate) {
        case (.v4(let a), .v4(let b)): matches(a.octets, b.octets, length: v4)
        case (.v6(let a), .v6(let b)): matches(a.octets, b.octets, length: v6)
        default: false
        }
    }
}
