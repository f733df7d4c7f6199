import HTTPServer
import Logging
import NIOCore
import NIOSSL
import ServerSupport

extension CorreoService {
    /// The public listeners the configuration asks for: HTTPS with the servers' own reloadable TLS
    /// context (a renewed certificate reaches it on SIGHUP too), and plain-HTTP autoconfig.
    ///
    /// Caps as the mail listeners'; bodies are tiny; a connection idle for 30 s is closed.
    static func publishingListeners(
        _ configuration: CorreoConfiguration,
        tls: Reloadable<NIOSSLContext>,
        group: any EventLoopGroup,
        logger: Logger
    ) -> [(name: String, port: Int, server: HTTPServer)] {
        let limits = configuration.limits
        func server(_ site: PublicSite, tls: Reloadable<NIOSSLContext>?) -> HTTPServer {
            HTTPServer(
                responder: site,
                paths: site.paths,
                options: HTTPListenerOptions(
                    tls: tls,
                    maximumConnections: limits.maximumConnections,
                    maximumConnectionsPerAddress: limits.maximumConnectionsPerAddress,
                    maximumBodyBytes: 16 * 1024,
                    idleTimeout: .seconds(30)
                ),
                group: group,
                logger: logger
            )
        }
        var listeners: [(name: String, port: Int, server: HTTPServer)] = []
        let publishing = configuration.publishing
        if publishing.httpsPort != 0 {
            listeners.append(
                ("https", publishing.httpsPort, server(PublicSite(configuration: configuration), tls: tls))
            )
        }
        if publishing.autoconfigHTTPPort != 0 {
            listeners.append(
                (
                    "autoconfig-http", publishing.autoconfigHTTPPort,
                    server(PublicSite(configuration: configuration, plainHTTP: true), tls: nil)
                )
            )
        }
        return listeners
    }
}
