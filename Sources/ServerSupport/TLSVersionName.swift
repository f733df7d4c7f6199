import NIOCore
import NIOSSL

extension ChannelPipeline.SynchronousOperations {
    /// The TLS version of this connection as OpenSSL names it (`TLSv1.3`), or `none`.
    ///
    /// `none` before or without TLS. For the `tls` key of the log lines. Call on the channel's event loop.
    public var tlsVersionName: String {
        guard let version = (try? nioSSL_tlsVersion()) ?? nil else { return "none" }
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}
