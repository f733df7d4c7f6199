/// The client's address as every protocol's logs, connection caps and login throttle key it.
public enum ClientAddress {
    /// `address` as shown: an IPv4 client of a listener bound to `::` arrives as `::ffff:a.b.c.d`
    /// (RFC 4291 §2.5.5.2), which is the IPv4 address; so that SMTP and IMAP count one client once.
    public static func normalized(_ address: String?) -> String {
        guard let address else { return "unknown" }
        let prefix = "::ffff:"
        if address.lowercased().hasPrefix(prefix) {
            let v4 = address.dropFirst(prefix.count)
            let octets = v4.split(separator: ".", omittingEmptySubsequences: false)
            if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) { return String(v4) }
        }
        return address
    }
}
