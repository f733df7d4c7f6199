import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which nameservers the resolver asks, how long it waits and how often it tries.
public struct DNSResolverConfiguration: Hashable, Sendable {
    /// The recursive nameservers, asked in order (RFC 1035 §7.2).
    public var nameservers: [DNSServerAddress]
    /// How long one try waits for an answer.
    public var timeout: Duration
    /// How many rounds over the nameservers a query makes.
    public var attempts: Int

    /// A configuration with explicit servers (`--dns-server IP[:PORT]`).
    public init(
        nameservers: [DNSServerAddress],
        timeout: Duration = DNSDefaults.timeout,
        attempts: Int = DNSDefaults.attempts
    ) {
        self.nameservers = nameservers
        self.timeout = timeout
        self.attempts = max(1, attempts)
    }

    /// A configuration read from the text of `/etc/resolv.conf`.
    ///
    /// It is read as glibc reads it (`resolv.conf(5)`): up to three `nameserver` lines, and `options timeout:N attempts:N` (capped
    /// at 30 s and 5). Lines starting with `#` or `;` are comments; with no usable `nameserver`, the local host is
    /// asked (127.0.0.1, glibc's default).
    ///
    /// `search` and `domain` are ignored on purpose: the resolver looks up absolute names only. A mail
    /// domain, an MX host, a DKIM selector's name are always fully qualified (RFC 5321 §2.3.5), and
    /// appending a search domain to them could route mail to a wrong host.
    public init(resolvConf: [UInt8]) {
        var nameservers: [DNSServerAddress] = []
        var timeout = DNSDefaults.timeout
        var attempts = DNSDefaults.attempts
        for line in resolvConf.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(whereSeparator: {
                $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r")
            })
            .map { String(decoding: $0, as: UTF8.self) }
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            switch keyword {
            case "nameserver" where words.count >= 2:
                // resolv.conf names the address only; an IPv6 scope (%eth0) is not supported and skipped.
                if nameservers.count < DNSDefaults.maxNameservers, let address = IPAddress(words[1]) {
                    nameservers.append(DNSServerAddress(address: address))
                }
            case "options":
                for option in words.dropFirst() {
                    if option.hasPrefix("timeout:"), let seconds = Int(option.dropFirst(8)), seconds >= 1 {
                        timeout = .seconds(min(seconds, DNSDefaults.maxTimeoutSeconds))
                    } else if option.hasPrefix("attempts:"), let count = Int(option.dropFirst(9)), count >= 1 {
                        attempts = min(count, DNSDefaults.maxAttempts)
                    }
                }
            default:
                continue  // search, domain, sortlist and the rest do not apply to absolute names.
            }
        }
        if nameservers.isEmpty, let loopback = IPAddress("127.0.0.1") {
            nameservers = [DNSServerAddress(address: loopback)]
        }
        self.init(nameservers: nameservers, timeout: timeout, attempts: attempts)
    }

    /// The system's configuration, read from `path` on NIO's thread pool (never on an event loop).
    public static func system(path: String = "/etc/resolv.conf") async throws(DNSError) -> DNSResolverConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try await NIOThreadPool.singleton.runIfActive { try readSmallFile(path) }
        } catch {
            throw .configurationUnreadable(path: path, reason: "\(error)")
        }
        return DNSResolverConfiguration(resolvConf: bytes)
    }
}

/// The error of a failed `open` or `read`.
struct FileReadError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { String(cString: strerror(errno)) }
}

/// Reads a file of at most 64 KiB (more is ignored): a configuration file, never mail.
private func readSmallFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileReadError(errno: errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < 65_536 {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        guard count >= 0 else { throw FileReadError(errno: errno) }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
}
