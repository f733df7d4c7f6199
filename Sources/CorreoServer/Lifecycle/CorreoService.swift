import DNS
import Foundation
import HTTPServer
import IMAPServer
import Logging
import MailAuth
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import NNTPServer
import Relay
import SMTPCore
import SMTPServer
import ServerSupport
import Synchronization

/// One correo server process: the store, the TLS identity and whichever of the SMTP, IMAP and NNTP servers
/// the command asked for, started together and stopped together.
public final class CorreoService: Sendable {
    /// Which protocol servers to run.
    public struct Protocols: OptionSet, Sendable {
        /// The protocols as bits: `smtp`, `imap`, `nntp`.
        public let rawValue: Int
        /// A set from its bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// MX, submission and submissions listeners.
        public static let smtp = Protocols(rawValue: 1)
        /// IMAP and IMAPS listeners.
        public static let imap = Protocols(rawValue: 2)
        /// NNTP and NNTPS listeners (newsgroups).
        public static let nntp = Protocols(rawValue: 4)
        /// Everything: what `correo serve` runs.
        public static let all: Protocols = [.smtp, .imap, .nntp]
    }

    /// A listener that is open, for the start-up report and for tests that bind port 0.
    public struct BoundListener: Sendable, Equatable {
        /// The service's name: smtp, submission, smtps, imap, imaps.
        public let name: String
        /// The port actually bound.
        public let port: Int
    }

    let configuration: CorreoConfiguration
    let logger: Logger
    let smtp: SMTPServer?
    let imap: IMAPServer?
    let nntp: NNTPServer?
    /// Works the outbound queue while the SMTP servers run.
    let relay: QueueRunner?
    /// The account to become once the listeners are bound.
    private let account: ResolvedAccount?
    /// The TLS context new connections get; SIGHUP replaces it (CorreoService+Reload.swift).
    let tls: Reloadable<NIOSSLContext>
    /// The store, whose users file a reload reads again.
    let store: MailStore
    /// The users' store when it is not `store` (the database of `--store`): nothing of it to reload.
    let users: (any MailStorageBackend)?
    /// The operator's loopback HTTP listener (/metrics, /healthz), with `--http-port`.
    let http: HTTPServer?
    /// The public HTTPS listener (MTA-STS policy, autoconfig, autodiscover), with `--https-port`, and
    /// the plain-HTTP autoconfig one, with `--autoconfig-http-port` (CorreoService+Publishing.swift).
    let publishing: [(name: String, port: Int, server: HTTPServer)]
    /// Reads the configuration file again on SIGHUP; nil without a file.
    let configurationReader: ConfigurationReader?
    /// The DKIM keys of STORAGE/dkim/ the relay signs with; SIGHUP reads them at once.
    let dkim: DKIMKeyring

    /// Prepares the store and TLS; binds nothing yet.
    ///
    /// Errors here are the operator's to fix (a bad certificate file, an unwritable storage folder) and say which file
    /// or folder is at fault. `configurationReader`: how SIGHUP reads the configuration file again. `users`:
    /// where users, their mailboxes and their mail are when not in the storage folder (the PostgreSQL store
    /// of `--store`); the storage folder still holds the spool, the queue, the newsgroups and the keys.
    public init(
        configuration: CorreoConfiguration,
        protocols: Protocols,
        logger: Logger,
        configurationReader: ConfigurationReader? = nil,
        users: (any MailStorageBackend)? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.configurationReader = configurationReader
        let dkim = DKIMKeyring(folder: configuration.storage.appendingPathComponent("dkim", isDirectory: true))
        self.dkim = dkim
        account = try configuration.account?.resolve()
        let ports = configuration.privilegedPorts
        if let refusal = Privileges.refusal(privilegedPorts: ports, account: configuration.account) { throw refusal }
        try FileManager.default.createDirectory(
            at: configuration.storage,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let store = MailStore(root: configuration.storage, logger: logger)
        self.store = store
        self.users = users
        let tls = Reloadable(try Self.tlsContext(configuration: configuration, logger: logger))
        self.tls = tls
        if let account, account.uid != geteuid() {
            let changed = try Privileges.handOver(storage: configuration.storage, to: account)
            if changed > 0 { logger.notice("gave \(changed) storage files and folders to \(account.description)") }
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let limits = configuration.limits
        let devMessages = configuration.dev.map { _ in DevMessages(store: store, logger: logger) }
        // One script for the SMTP sessions and the API that replaces it while they run.
        let devFaults = configuration.dev.map { SMTPFaultScript($0.faults) }
        // The relay runs in dev mode only to send what a developer releases, and only when an allow-list is given.
        let devRelay = try configuration.dev.flatMap { dev in
            dev.releaseAllow.isEmpty
                ? nil : try Self.devReleaseRunner(configuration, store: store, dkim: dkim, logger: logger)
        }
        var router = OperatorEndpoints.router(store: store, queue: users?.outboundQueue)
        if let devMessages, let devFaults {
            let release = configuration.dev.map { dev in
                DevRelease(allow: dev.releaseAllow, store: store) { id in
                    if let devRelay { Task { await devRelay.enqueued(id) } }
                }
            }
            DevAPI.addRoutes(to: &router, messages: devMessages, faults: devFaults, release: release)
        }
        http = configuration.httpPort == 0 ? nil : HTTPServer(router: router, group: group, logger: logger)
        publishing = Self.publishingListeners(configuration, tls: tls, group: group, logger: logger)
        // One throttle for both protocols: failures over SMTP AUTH and IMAP LOGIN add up per address.
        let throttle = limits.makeAuthThrottle()
        // One news store for NNTP and for IMAP's APPEND into `#news.` (both post through its injection).
        let news = BackendNewsStore(
            groups: users ?? store,
            users: users ?? store,
            throttle: throttle,
            serverName: configuration.hostname
        )
        let servers = Servers(
            configuration: configuration,
            store: store,
            users: users,
            tls: tls,
            throttle: throttle,
            news: news,
            group: group
        )
        if let dev = configuration.dev, let devMessages, let devFaults {
            // The developer's catch-all: nothing is relayed but what is released to the allow-list.
            relay = devRelay
            smtp =
                protocols.contains(.smtp)
                ? Self.devSMTPServer(
                    configuration,
                    dev: dev,
                    messages: devMessages,
                    faults: devFaults,
                    store: store,
                    tls: tls,
                    logger: logger
                ) : nil
        } else if protocols.contains(.smtp) {
            let made = try Self.smtpServerAndRelay(servers, dkim: dkim, logger: logger)
            smtp = made.smtp
            relay = made.relay
        } else {
            smtp = nil
            relay = nil
        }
        imap = protocols.contains(.imap) ? Self.imapServer(servers, logger: logger) : nil
        nntp = protocols.contains(.nntp) && configuration.dev == nil ? Self.nntpServer(servers, logger: logger) : nil
    }

    /// Opens every listener whose port is not 0.
    public func start() async throws -> [BoundListener] {
        let host = configuration.bindAddress
        let ports = configuration.ports
        var bound: [BoundListener] = []
        if let smtp {
            let wanted: [(SMTPListenerKind, Int)] = [
                (.mx, ports.smtp), (.submission, ports.submission), (.submissions, ports.smtps),
            ]
            let listeners = wanted.filter { $0.1 != 0 }.map { SMTPListener(kind: $0.0, host: host, port: $0.1) }
            for listener in try await smtp.start(listeners: listeners) {
                bound.append(BoundListener(name: listener.kind.protocolName, port: listener.port))
            }
        }
        if let imap {
            let wanted: [(IMAPServer.Listener.Kind, Int, String)] = [
                (.startTLS, ports.imap, "imap"), (.implicitTLS, ports.imaps, "imaps"),
            ]
            let open = wanted.filter { $0.1 != 0 }
            let boundPorts = try await imap.start(
                listeners: open.map { IMAPServer.Listener(kind: $0.0, host: host, port: $0.1) }
            )
            for (listener, port) in zip(open, boundPorts) { bound.append(BoundListener(name: listener.2, port: port)) }
        }
        if let nntp {
            let wanted: [(NNTPServer.Listener.Kind, Int, String)] = [
                (.startTLS, ports.nntp, "nntp"), (.implicitTLS, ports.nntps, "nntps"),
            ]
            let open = wanted.filter { $0.1 != 0 }
            let boundPorts = try await nntp.start(
                listeners: open.map { NNTPServer.Listener(kind: $0.0, host: host, port: $0.1) }
            )
            for (listener, port) in zip(open, boundPorts) { bound.append(BoundListener(name: listener.2, port: port)) }
        }
        if let http {
            // Loopback only, whatever --bind says: metrics and health are for the machine's own tools. The
            // developer's mode serves its web page where its other listeners are (127.0.0.1 by default).
            let httpHost = configuration.dev == nil ? "127.0.0.1" : configuration.bindAddress
            bound.append(
                BoundListener(name: "http", port: try await http.start(host: httpHost, port: configuration.httpPort))
            )
        }
        for listener in publishing {
            bound.append(
                BoundListener(
                    name: listener.name,
                    port: try await listener.server.start(host: host, port: listener.port)
                )
            )
        }
        return bound
    }

    /// Closes the listeners opened by `start()` when the service group will not run (privileges could
    /// not be dropped): sessions finish their current transaction.
    public func shutdown() async {
        await smtp?.shutdown(graceful: true)
        try? await imap?.shutdown()
        await nntp?.shutdown()
        await http?.shutdown()
        for listener in publishing { await listener.server.shutdown() }
    }

    /// Binds, reports the listeners, drops privileges, then runs every server and the queue runner as the
    /// services of one `ServiceGroup` until SIGINT/SIGTERM shuts them down gracefully.
    public func run() async throws {
        // Caught before anything is bound: from here on SIGHUP reloads instead of ending the process.
        ReloadSignal.handle { [self] in reload() }
        let bound = try await start()
        if let account {
            do {
                try Privileges.drop(to: account)
                try Privileges.checkStorage(configuration.storage, account: account)
            } catch {
                await shutdown()
                throw error
            }
            logger.notice("running as \(account.description)")
        }
        let summary = bound.map {
            "\($0.name) \($0.name == "http" && configuration.dev == nil ? "127.0.0.1" : configuration.bindAddress):\($0.port)"
        }
        .joined(separator: ", ")
        logger.notice("correo listening: \(summary); storage \(configuration.storage.path)")
        if configuration.dev != nil { logDevMode(bound) }
        SystemdNotify.send("READY=1\nSTATUS=listening: \(summary)")
        try await serviceGroup(logger: logger).run()
        logger.notice("correo stopped")
    }

    /// The given certificate, or the one generated into STORAGE/tls/ on first start.
    static func tlsContext(configuration: CorreoConfiguration, logger: Logger) throws -> NIOSSLContext {
        let identity: TLSIdentity
        if let certificate = configuration.certificatePath {
            identity = try TLSIdentity.load(certificatePath: certificate, keyPath: configuration.privateKeyPath)
        } else {
            var hosts = [configuration.hostname]
            for domain in configuration.domains where !hosts.contains(domain) { hosts.append(domain) }
            let made = try DefaultCertificate.ensure(storage: configuration.storage, hosts: hosts)
            if made.generated { logger.notice("generated a self-signed certificate: \(made.certificate)") }
            identity = try TLSIdentity.load(certificatePath: made.certificate, keyPath: made.privateKey)
        }
        do {
            return try NIOSSLContext(configuration: identity.serverConfiguration(settings: configuration.tls))
        } catch {
            throw CertificateError.invalid(
                configuration.certificatePath ?? "the generated certificate",
                reason: "\(error)"
            )
        }
    }

    /// The relay's settings from the configuration; the smarthost password is read here, once.
    static func relaySettings(_ configuration: CorreoConfiguration) throws -> RelaySettings {
        let outbound = configuration.outbound
        var smarthost: RelaySettings.Smarthost?
        if let relayHost = outbound.relayHost,
            let (host, port) = OutboundConfiguration.hostAndPort(relayHost, defaultPort: 587)
        {
            var credentials: SMTPCredentials?
            if let user = outbound.relayUser, let file = outbound.relayPasswordFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ConfigurationError.invalidOutbound("--relay-password-file \(file) cannot be read")
                }
                let password = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
                credentials = SMTPCredentials(username: user, password: password)
            }
            smarthost = RelaySettings.Smarthost(
                host: host,
                port: port,
                tls: port == 465 ? .implicit : .startTLS(.required),
                trust: outbound.relayCAFile.map { .certificateAuthorities(pemFile: $0) } ?? .system,
                credentials: credentials
            )
        }
        let policy = { (name: String) in RelaySettings.TLSPolicy(rawValue: name) ?? .opportunistic }
        return RelaySettings(
            hostname: configuration.hostname,
            mxPort: outbound.mxPort,
            schedule: RetrySchedule(
                firstRetry: TimeInterval(outbound.firstRetrySeconds),
                maximumRetry: TimeInterval(outbound.maximumRetrySeconds),
                queueLifetime: TimeInterval(outbound.queueLifetimeSeconds),
                delayWarning: outbound.delayWarningSeconds == 0 ? nil : TimeInterval(outbound.delayWarningSeconds)
            ),
            tlsPolicy: policy(outbound.tlsPolicy),
            tlsPolicies: outbound.tlsPolicies.mapValues(policy),
            smarthost: smarthost
        )
    }

    /// The given nameservers, or those of /etc/resolv.conf (read here, before any event loop runs).
    static func resolver(_ outbound: OutboundConfiguration, logger: Logger) throws -> DNSResolver {
        let configuration: DNSResolverConfiguration
        if outbound.dnsServers.isEmpty {
            let text = FileManager.default.contents(atPath: "/etc/resolv.conf") ?? Data()
            configuration = DNSResolverConfiguration(resolvConf: Array(text))
        } else {
            var servers: [DNSServerAddress] = []
            for server in outbound.dnsServers {
                guard let (host, port) = OutboundConfiguration.hostAndPort(server, defaultPort: 53),
                    let address = IPAddress(host)
                else { throw ConfigurationError.invalidOutbound("--dns-server \(server): not an IP address") }
                servers.append(DNSServerAddress(address: address, port: port))
            }
            configuration = DNSResolverConfiguration(nameservers: servers)
        }
        return DNSResolver(configuration: configuration, logger: logger)
    }
}
