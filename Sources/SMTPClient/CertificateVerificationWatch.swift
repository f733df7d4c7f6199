import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Watches BoringSSL verify the server's certificate chain, so that a failed handshake can say why:
/// RFC 8460 §4.3.1 tells an expired certificate (`certificate-expired`) from one without a trust anchor
/// (`certificate-not-trusted`), and BoringSSL's error says only `CERTIFICATE_VERIFY_FAILED` for both.
///
/// It only looks: every verdict is passed on unchanged. BoringSSL first builds the chain up to a trusted
/// root (a failure there comes before any certificate is verified), then checks each certificate from
/// the root down, the validity period included, calling back for each one that passes. So a failure
/// after at least one pass, at a certificate past its notAfter, is an expiry within a trusted chain; any
/// other failure is a chain that does not verify.
final class CertificateVerificationWatch: Sendable {
    private struct State {
        var passed = 0
        var failure: TLSFailure?
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> time_t

    /// A watch that judges validity periods at `now()` (the wall clock, as BoringSSL does).
    init(now: @escaping @Sendable () -> time_t = { time(nil) }) {
        self.now = now
    }

    /// The callback for `NIOSSLClientHandler`: records, then returns `result` as it is.
    func observe(_ result: NIOSSLVerificationResult, _ certificate: NIOSSLCertificate) -> NIOSSLVerificationResult {
        let expired = certificate.notValidAfter < now()
        state.withLock { state in
            switch result {
            case .certificateVerified: state.passed += 1
            case .failed:
                guard state.failure == nil else { return }
                state.failure = state.passed > 0 && expired ? .certificateExpired : .certificateNotTrusted
            }
        }
        return result
    }

    /// Why the chain did not verify, nil when no certificate failed.
    var failure: TLSFailure? { state.withLock { $0.failure } }

    /// A client handler for `serverHostname` whose verification this watch sees.
    ///
    /// NIOSSL keeps the per-certificate callback only on this deprecated initialiser; its replacement
    /// takes verification over entirely, which correo does not want (BoringSSL's own checks stay in
    /// charge, the watch only reads them).
    @available(*, deprecated, message: "uses NIOSSL's per-certificate callback to read why verification failed")
    func handler(context: NIOSSLContext, serverHostname: String?) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname, verificationCallback: observe)
    }
}

/// Calls the watch's deprecated initialiser from code that is not deprecated itself, without a warning at
/// every call site: the one reason is written once, on `handler(context:serverHostname:)`.
protocol WatchedHandlerMaking {
    /// A client handler whose verification the watch sees.
    func handler(context: NIOSSLContext, serverHostname: String?) throws -> NIOSSLClientHandler
}

extension CertificateVerificationWatch: WatchedHandlerMaking {}
