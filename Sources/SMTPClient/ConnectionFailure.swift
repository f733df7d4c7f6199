import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// Why the TCP connection could not be opened, in terms a person can act on.
public enum ConnectFailure: Hashable, Sendable, CustomStringConvertible {
    /// Nothing listens on that port (ECONNREFUSED).
    case refused
    /// No answer within the connect timeout.
    case timedOut
    /// The host name did not resolve to any address.
    case unknownHost
    /// Anything else, as the system words it (e.g. "Network is unreachable").
    case other(String)

    /// Why the connection failed, in words for an error message.
    public var description: String {
        switch self {
        case .refused: "the connection was refused"
        case .timedOut: "no answer in time"
        case .unknownHost: "no such host"
        case .other(let reason): reason
        }
    }

    /// Reads NIO's connect errors (happy eyeballs, timeouts, plain errno) without their internals.
    init(_ error: any Error) {
        if let failure = error as? NIOConnectionError {
            let errnos = failure.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            if errnos.contains(ECONNREFUSED) {
                self = .refused
            } else if failure.connectionErrors.isEmpty {
                self = .unknownHost
            } else if let code = errnos.first {
                self = .other(Self.systemMessage(code))
            } else {
                self = Self(failure.connectionErrors[0].error)
            }
        } else if let error = error as? ChannelError, case .connectTimeout = error {
            self = .timedOut
        } else if let error = error as? IOError {
            self = error.errnoCode == ECONNREFUSED ? .refused : .other(Self.systemMessage(error.errnoCode))
        } else if error is SocketAddressError {
            self = .unknownHost
        } else {
            self = .other("\(type(of: error))")
        }
    }

    static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Why a TLS handshake failed, without the TLS library's internals (error codes, source paths).
public enum TLSFailure: Hashable, Sendable, CustomStringConvertible {
    /// The server's certificate did not verify: self-signed, or signed by an authority not trusted here
    /// (TLS-RPT's certificate-not-trusted).
    case certificateNotTrusted
    /// The chain leads to a trusted authority, but a certificate in it is past its notAfter date (TLS-RPT's
    /// certificate-expired).
    case certificateExpired
    /// The certificate verified, but for other names than the host's (TLS-RPT's certificate-host-mismatch).
    case hostnameMismatch
    /// The handshake failed for another reason, named by the TLS library's short reason code.
    case failed(String)

    /// Why the TLS handshake failed, in words for an error message.
    public var description: String {
        switch self {
        case .certificateNotTrusted:
            "the server's certificate is not trusted (self-signed, or from an unknown authority)"
        case .certificateExpired: "the server's certificate has expired"
        case .hostnameMismatch: "the server's certificate is not made out to this host name"
        case .failed(let reason): reason
        }
    }

    /// Classifies a NIOSSL error by what BoringSSL said (its types carry no more structure than that);
    /// `verification` is why the chain failed, as `CertificateVerificationWatch` saw it.
    init(_ error: any Error, verification: TLSFailure? = nil) {
        let text = String(describing: error)
        if text.contains("failedToValidateHostname") {
            // NIOSSL checks the name after the chain has verified: the authority is fine, the name is not.
            self = .hostnameMismatch
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("unableToValidateCertificate") {
            self = verification ?? .certificateNotTrusted
        } else if let range = text.range(of: "OPENSSL_internal:") {
            // "…:OPENSSL_internal:WRONG_VERSION_NUMBER at /path/…" → "wrong version number"
            let code = text[range.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            self = .failed(code.isEmpty ? "handshake failed" : String(code.lowercased().map { $0 == "_" ? " " : $0 }))
        } else if text.contains("uncleanShutdown") || text.contains("eof") {
            self = .failed("the server closed the connection during the handshake")
        } else {
            self = .failed("handshake failed")
        }
    }

    /// Whether `error` comes from the TLS layer rather than the socket.
    static func isTLSError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
    }
}
