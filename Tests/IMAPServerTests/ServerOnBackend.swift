import Foundation
import Logging
import MailStore
import NIOPosix
import NIOSSL

@testable import IMAPServer

extension IMAPServer {
    /// A server for a test over `backend`: its users, mailboxes and newsgroups, as `correo serve` wires
    /// it; the spool of large APPENDs is the Maildir store itself, or a Maildir store in `spool` beside
    /// another backend.
    static func serving(
        _ backend: any MailStorageBackend,
        spool: URL,
        configuration: Configuration,
        tlsContext: NIOSSLContext? = nil,
        label: String
    ) -> IMAPServer {
        IMAPServer(
            configuration: configuration,
            store: backend as? MailStore ?? MailStore(root: spool),
            users: backend,
            folders: backend,
            newsgroups: backend,
            tlsContext: tlsContext,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: label)
        )
    }
}
