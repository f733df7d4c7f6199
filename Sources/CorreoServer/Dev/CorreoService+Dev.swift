import Logging
import MailAuth
import MailStore
import NIOPosix
import NIOSSL
import Relay
import SMTPServer
import ServerSupport

extension CorreoService {
    /// The SMTP server of `serve --dev`: every domain local, delivery into the dev store, AUTH with
    /// any password (or `--dev-password`), any sender address, no queue.
    static func devSMTPServer(
        _ configuration: CorreoConfiguration,
        dev: DevSettings,
        messages: DevMessages,
        faults: SMTPFaultScript,
        store: MailStore,
        tls: Reloadable<NIOSSLContext>,
        logger: Logger
    ) -> SMTPServer {
        var smtp = SMTPServerConfiguration(
            hostname: configuration.hostname,
            localDomains: configuration.domains,
            allowPlaintextAuth: configuration.allowPlaintextAuth,
            // An application under test sends as whoever it likes; there is no one to impersonate.
            requireSenderToMatchAuthenticatedUser: false
        )
        applyLiveSettings(configuration, to: &smtp)
        smtp.acceptsEveryDomain = true
        smtp.faults = faults
        return SMTPServer(
            configuration: smtp,
            delivery: DevDelivery(store: store, messages: messages),
            authenticator: DevLogins(password: dev.password, store: store),
            tls: tls,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
    }

    /// The queue runner that sends what `POST /api/messages/{id}/release` queues, as `correo serve`'s relay
    /// does (the same settings: `--relay-host`, `--mx-port`, `--dns-server`, DKIM keys of STORAGE/dkim/).
    ///
    /// No domain is local to it and no address has a mailbox: every released copy leaves the machine.
    static func devReleaseRunner(
        _ configuration: CorreoConfiguration,
        store: MailStore,
        dkim: DKIMKeyring,
        logger: Logger
    ) throws -> QueueRunner {
        let resolver = try Self.resolver(configuration.outbound, logger: logger)
        return QueueRunner(
            store: store,
            settings: try Self.relaySettings(configuration),
            resolver: DNSRelayResolver(resolver),
            localDomains: [],
            logger: logger,
            localMailbox: { _ in nil },
            dkim: dkim,
            security: try Self.transportSecurity(configuration, resolver: resolver, logger: logger)
        )
    }

    /// The start-up lines of `serve --dev`: the warning, and where to point an application, a mail
    /// client and a browser.
    func logDevMode(_ bound: [BoundListener]) {
        logger.warning("\(DevMode.warning)")
        let host = configuration.bindAddress
        let port = { (name: String) in bound.first { $0.name == name }.map { "\(host):\($0.port)" } ?? "off" }
        let password = configuration.dev?.password == nil ? "any password" : "the --dev-password"
        logger.notice(
            """
            correo --dev: send to SMTP \(port("smtp")) (any address at any domain); read over IMAP \(port("imap")) \
            as the recipient's address or as "all" with \(password); web page and API http://\(port("http"))/ \
            (OpenAPI at /api/openapi.json); mail kept in \(configuration.storage.path)
            """
        )
        let allow = configuration.dev?.releaseAllow ?? []
        logger.notice(
            "correo --dev: release through the relay \(allow.isEmpty ? "off" : "allowed to " + allow.joined(separator: ", "))"
        )
    }
}
