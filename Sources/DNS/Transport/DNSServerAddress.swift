import NIOCore

/// A nameserver: an IP address and a port, as given by `nameserver` in `/etc/resolv.conf` or
/// `--dns-server IP[:PORT]`.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The server's address.
    public var address: IPAddress
    /// The server's UDP and TCP port (53 unless said otherwise, RFC 1035 §4.2).
    public var port: Int

    /// A server at `address` and `port`.
    public init(address: IPAddress, port: Int = DNSDefaults.port) {
        self.address = address
        self.port = port
    }

    /// A server from `IP`, `IP:PORT`, `IPv6` or `[IPv6]:PORT`.
    public init(_ text: String) throws(DNSError) {
        var host = Substring(text)
        var port = DNSDefaults.port
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalidAddress(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let number = Int(rest.dropFirst()) else { throw .invalidAddress(text) }
                port = number
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else { throw .invalidAddress(text) }
            port = number
            host = host[..<colon]
        }
        guard (1...65_535).contains(port), let address = IPAddress(String(host)) else { throw .invalidAddress(text) }
        self.init(address: address, port: port)
    }

    /// `IP:PORT`, or `[IPv6]:PORT`.
    public var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }

    /// The socket address queries are sent to and replies must come from (RFC 5452 §9.1).
    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: address.description, port: port)
    }

    /// The local address a query socket binds to, with port 0.
    ///
    /// The local address to bind the query socket to: loopback for a loopback server (so that a server
    /// on 127.0.0.1 is asked from 127.0.0.1), else any address of the server's family. The port is
    /// always 0, so the kernel picks a random source port for every query (RFC 5452 §9.2).
    var localBindHost: String {
        switch address {
        case .v4(let v4): v4.octets[0] == 127 ? "127.0.0.1" : "0.0.0.0"
        case .v6(let v6): v6.octets == [UInt8](repeating: 0, count: 15) + [1] ? "::1" : "::"
        }
    }
}
