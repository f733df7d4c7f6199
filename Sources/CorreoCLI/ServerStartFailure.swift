import ArgumentParser
import CorreoServer
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A server that cannot start, told as the operator can act on it: what failed, with the path, port or
/// flag, and what to do; and the sysexits(3) status a supervisor or script can tell apart.
struct ServerStartFailure: Error, CustomStringConvertible {
    /// The line printed after `Error: `.
    let description: String
    /// EX_USAGE (64), EX_UNAVAILABLE (69) or EX_IOERR (74).
    let status: Int32

    static let usage: Int32 = 64
    static let unavailable: Int32 = 69
    static let ioError: Int32 = 74

    /// Prints the line and ends the command with the status.
    func exit() -> ExitCode {
        printError("Error: \(description)")
        return ExitCode(status)
    }

    /// The storage folder could not be made or used.
    static func storage(_ url: URL, _ error: any Error) -> ServerStartFailure {
        ServerStartFailure(
            description: "cannot create or use the storage folder \(url.path): \(operatingSystemReason(error)); "
                + "give a writable folder with --storage (or CORREO_STORAGE)",
            status: ioError
        )
    }

    /// A listener could not be bound: the address is not one of this machine's, or a port is taken.
    static func listening(_ error: any Error, configuration: CorreoConfiguration) -> ServerStartFailure? {
        let address = configuration.bindAddress
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return ServerStartFailure(
                description: "--bind \(address) is not an IP address or a name this machine can resolve; "
                    + "give one of its addresses, 127.0.0.1 or 0.0.0.0 (all)",
                status: usage
            )
        }
        guard let error = error as? IOError else { return nil }
        switch error.errnoCode {
        case EADDRINUSE:
            let busy = busyListener(configuration)
            let which =
                busy.map { "port \($0.port) (--\($0.flag)-port) on \($0.host) is already in use" }
                ?? "a port on \(address) is already in use"
            return ServerStartFailure(
                description: which + "; stop what holds it (`ss -ltnp`) or choose another port, 0 turns a listener off",
                status: unavailable
            )
        case EADDRNOTAVAIL:
            return ServerStartFailure(
                description: "--bind \(address) is not an address of this machine; "
                    + "give one of its addresses (`ip -br addr`), 127.0.0.1 or 0.0.0.0 (all)",
                status: unavailable
            )
        case EACCES:
            return ServerStartFailure(
                description: "not allowed to bind a port below 1024 on \(address); start as root with --user, "
                    + "grant CAP_NET_BIND_SERVICE, or use ports above 1023",
                status: unavailable
            )
        default:
            return nil
        }
    }

    /// The first configured listener whose port cannot be bound now (probed after the failed start, when
    /// correo's own sockets are closed again): with `SO_REUSEADDR` like the listeners, so only a socket
    /// listening there counts.
    static func busyListener(_ configuration: CorreoConfiguration) -> (flag: String, port: Int, host: String)? {
        let ports = configuration.ports
        let wanted =
            [
                ("smtp", ports.smtp), ("submission", ports.submission), ("smtps", ports.smtps),
                ("imap", ports.imap), ("imaps", ports.imaps), ("nntp", ports.nntp), ("nntps", ports.nntps),
            ].map { ($0.0, $0.1) } + (configuration.httpPort == 0 ? [] : [("http", configuration.httpPort)])
        // The HTTP listener is on loopback whatever --bind says.
        let host = { (flag: String) in flag == "http" ? "127.0.0.1" : configuration.bindAddress }
        return wanted.first { flag, port in port != 0 && !canBind(host(flag), port: port) }
            .map { (flag: $0.0, port: $0.1, host: host($0.0)) }
    }

    private static func canBind(_ host: String, port: Int) -> Bool {
        guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else { return true }
        let descriptor = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) == 0 }
    }
}
