import NIOCore
import NIOPosix

/// A port to listen on for a protocol that has both a STARTTLS port and an implicit-TLS one (IMAP 143 and
/// 993, NNTP 119 and 563): which of the two, and where.
public struct TLSListener: Sendable, Equatable {
    /// How TLS starts on the port.
    public enum Kind: Sendable, Equatable {
        /// Plain at first; the client may ask for TLS (STARTTLS).
        case startTLS
        /// TLS from the first octet.
        case implicitTLS
    }

    /// STARTTLS or implicit TLS.
    public var kind: Kind
    /// The address to bind.
    public var host: String
    /// The port (0: any free one).
    public var port: Int

    /// A listener.
    public init(kind: Kind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }
}

extension TLSListener.Kind {
    /// For logs: `starttls` or `implicit`.
    public var name: String { self == .implicitTLS ? "implicit" : "starttls" }
}

/// An implicit-TLS listener was asked for, but no certificate was given.
public struct ImplicitTLSWithoutCertificate: Error, Equatable, CustomStringConvertible {
    /// The protocol, such as "IMAP".
    public let service: String
    /// The error for `service`'s listeners.
    public init(service: String) { self.service = service }
    /// The message for the operator: which listener needs a certificate.
    public var description: String { "An implicit-TLS \(service) listener needs a TLS certificate" }
}

extension TLSListener: ListenerAddress {}

extension Listeners {
    /// Starts `listeners` (see `start(_:group:childOptions:initialize:)`), refusing implicit TLS when
    /// there is no certificate; returns each listener with the port bound.
    public func start(
        _ listeners: [TLSListener],
        service: String,
        hasCertificate: Bool,
        group: any EventLoopGroup,
        childOptions: (ServerBootstrap) -> ServerBootstrap = { $0 },
        initialize: @escaping @Sendable (any Channel, TLSListener) throws -> Void
    ) async throws -> [(listener: TLSListener, port: Int)] {
        if !hasCertificate, listeners.contains(where: { $0.kind == .implicitTLS }) {
            throw ImplicitTLSWithoutCertificate(service: service)
        }
        return try await start(listeners, group: group, childOptions: childOptions, initialize: initialize)
    }
}
