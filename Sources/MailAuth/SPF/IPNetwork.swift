import DNS

/// An IPv4 network of an `ip4:` mechanism (RFC 7208 §5.6).
public struct IPv4Network: Sendable, Hashable {
    public var address: IPv4Address
    public var prefixLength: Int

    /// Parses `192.0.2.0/24` or a single address.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPv4Address(String(parts[0])), parts[0].split(separator: ".").count == 4 else { return nil }
        self.address = address
        if parts.count == 2 {
            guard let length = SPFRecord.cidrLength(parts[1], max: 32) else { return nil }
            prefixLength = length
        } else {
            prefixLength = 32
        }
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard case .v4(let candidate) = other else { return false }
        return IPPrefix.matches(address.octets, candidate.octets, length: prefixLength)
    }
}

/// An IPv6 network of an `ip6:` mechanism.
public struct IPv6Network: Sendable, Hashable {
    public var address: IPv6Address
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPv6Address(String(parts[0])) else { return nil }
        self.address = address
        if parts.count == 2 {
            guard let length = SPFRecord.cidrLength(parts[1], max: 128) else { return nil }
            prefixLength = length
        } else {
            prefixLength = 128
        }
    }

    public func contains(_ other: IPAddress) -> Bool {
        guard case .v6(let candidate) = other else { return false }
        return IPPrefix.matches(address.octets, candidate.octets, length: prefixLength)
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
