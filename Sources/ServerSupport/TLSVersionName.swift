import NIOCore
import NIOSSL

extension ChannelPipeline.SynchronousOperations {
    /// The TLS version of this connection as OpenSSL names it (`TLSv1.3`), or `none`.
    ///
    /// `none` without TLS, and until the handshake has completed, as the pipeline's `ConnectionMeter`
    /// saw it (`none` in a pipeline without one). For the `tls` key of the log lines. Call on the
    /// channel's event loop.
    public var tlsVersionName: String {
        // A TLS handler reports a version from the moment it is in the pipeline (BoringSSL answers
        // TLS 1.2 before any version is negotiated), so a handshake that never finished, or failed,
        // would be logged as TLS that did not happen.
        guard (try? handler(type: ConnectionMeter.self))?.tlsHandshakeCompleted == true,
            let version = (try? nioSSL_tlsVersion()) ?? nil
        else { return "none" }
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}
