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
