import IMAPServer
import Logging
import MailAuth
import MailStore
import NIOCore
import NIOSSL
import NNTPServer
import Relay
import SMTPServer
import ServerSupport

/// The protocol servers `CorreoService.init` makes, one builder each, from what they all share.
extension CorreoService {
    /// What every protocol server is made from: the configuration, the store, the TLS context, the one
    /// failed-login throttle and the event loops.
    struct Servers {
        let configuration: CorreoConfiguration
        let store: MailStore
        /// The users and their mailboxes when another backend holds them (nil: `store`).
        let users: (any MailStorageBackend)?
        let tls: Reloadable<NIOSSLContext>
        /// Shared by SMTP AUTH, IMAP LOGIN and NNTP AUTHINFO: failures add up per address.
        let throttle: AuthThrottle
        /// The one news store NNTP reads and posts through, and IMAP's APPEND into `#news.` posts through.
        let news: BackendNewsStore
        let group: any EventLoopGroup
    }

    /// The SMTP server delivering into the store or the queue, and the queue runner that works the queue.
    static func smtpServerAndRelay(
        _ servers: Servers,
        dkim: DKIMKeyring,
        logger: Logger
    ) throws -> (smtp: SMTPServer, relay: QueueRunner) {
        let configuration = servers.configuration
        let store = servers.store
        let local = MailStoreDelivery(
            store: store,
            users: servers.users,
            newsgroups: servers.users,
            acceptsUnknownRecipients: configuration.acceptsUnknownRecipients
        )
        // One resolver (and its cache) for the relay and the sender checks; --dns-server sets both.
        let resolver = try Self.resolver(configuration.outbound, logger: logger)
        let runner = QueueRunner(
            store: store,
            users: servers.users,
            newsgroups: servers.users,
            queue: servers.users?.outboundQueue,
            settings: try Self.relaySettings(configuration),
            resolver: DNSRelayResolver(resolver),
            localDomains: configuration.domains,
            logger: logger,
            localMailbox: { try await local.mailbox(for: $0) },
            dkim: dkim,
            security: try Self.transportSecurity(configuration, resolver: resolver, logger: logger)
        )
        var smtpConfiguration = SMTPServerConfiguration(
            hostname: configuration.hostname,
            localDomains: configuration.domains,
            allowPlaintextAuth: configuration.allowPlaintextAuth,
            authThrottle: servers.throttle
        )
        Self.applyLiveSettings(configuration, to: &smtpConfiguration)
        smtpConfiguration.relays = true
        smtpConfiguration.queuesLocalMail = configuration.outbound.localDelivery == "queue"
        let smtp = SMTPServer(
            configuration: smtpConfiguration,
            delivery: MailStoreDelivery(
                store: store,
                users: servers.users,
                newsgroups: servers.users,
                outbound: servers.users?.outboundQueue,
                acceptsUnknownRecipients: configuration.acceptsUnknownRecipients,
                queued: { id in Task { await runner.enqueued(id) } },
                inbound: Self.inboundAuthentication(configuration, resolver: resolver, logger: logger)
            ),
            authenticator: MailStoreAuthenticator(users: servers.users ?? store),
            tls: servers.tls,
            group: servers.group,
            logger: logger
        )
        return (smtp, runner)
    }

    /// The IMAP server on the store; under `--dev`, any password of the developer's logs in.
    static func imapServer(_ servers: Servers, logger: Logger) -> IMAPServer {
        let configuration = servers.configuration
        var imapConfiguration = IMAPServer.Configuration(
            allowPlaintextAuth: configuration.allowPlaintextAuth,
            serverName: configuration.hostname,
            defences: IMAPChannelHandler.Defences(authThrottle: servers.throttle),
            logins: configuration.dev.map {
                DevLogins(password: $0.password, store: servers.store) as any IMAPLoginPolicy
            },
            newsPosting: servers.news
        )
        Self.applyLiveSettings(configuration, to: &imapConfiguration)
        return IMAPServer(
            configuration: imapConfiguration,
            store: servers.store,
            users: servers.users ?? servers.store,
            folders: servers.users ?? servers.store,
            newsgroups: servers.users,
            tls: servers.tls,
            group: servers.group,
            logger: logger
        )
    }

    /// The NNTP reader over the store's newsgroups.
    static func nntpServer(_ servers: Servers, logger: Logger) -> NNTPServer {
        let configuration = servers.configuration
        let limits = configuration.limits
        return NNTPServer(
            configuration: NNTPServer.Configuration(
                allowPlaintextAuth: configuration.allowPlaintextAuth,
                serverName: configuration.hostname,
                maxConnections: limits.maximumConnections,
                maxConnectionsPerAddress: limits.maximumConnectionsPerAddress,
                peers: Set(configuration.nntpPeers)
            ),
            news: servers.news,
            tls: servers.tls,
            group: servers.group,
            logger: logger
        )
    }
}
