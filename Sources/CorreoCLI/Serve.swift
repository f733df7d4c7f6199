import ArgumentParser
import CorreoServer
import PostgresStore
import SMTPServer

/// `correo serve`: every listener at once on the embedded defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP, submission, IMAP and NNTP servers together (the one-command setup)."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        // The developer's mode catches mail and shows it: no relay, no news.
        try await options.runServers(try options.dev.isOn ? [.smtp, .imap] : .all)
    }
}

/// What `correo serve` takes, shared with `correo config check|show`, which show what serve would run with.
struct ServeOptions: ParsableArguments, ServerCommand {
    @OptionGroup var server: ServerOptions
    @OptionGroup var ports: PortOptions
    @OptionGroup(title: "Outbound mail") var outbound: OutboundOptions
    @OptionGroup(title: "Publishing (MTA-STS, autoconfig)") var publishing: PublishingOptions

    @Option(
        name: .customLong("nntp-peer"),
        help:
            "A news peer's IP address allowed to feed articles with IHAVE (repeatable). [CORREO_NNTP_PEER, comma-separated]"
    )
    var nntpPeers: [String] = []

    @Option(
        help: """
            Keep users, mailboxes and mail in this PostgreSQL store (postgres://…; `correo db migrate` it \
            first) instead of the storage folder, which still holds the queue, the newsgroups and the keys. \
            Several nodes may share one store. [CORREO_STORE]
            """
    )
    var store: String?

    @OptionGroup(title: "Developer's mode") var dev: DevOptions

    func resolvedConfiguration() throws -> CorreoConfiguration {
        if try dev.isOn {
            if store != nil { throw ValidationError("--store is not for --dev (its catch-all lives in a folder)") }
            return try devConfiguration()
        }
        // A left-over dev password must not go unnoticed (nor turn a real server into a catch-all).
        if dev.devPassword != nil || environment("DEV_PASSWORD") != nil {
            throw ValidationError("--dev-password is for --dev only")
        }
        if !dev.devFaults.isEmpty || environment("DEV_FAULT") != nil {
            throw ValidationError("--dev-fault is for --dev only")
        }
        if !dev.devReleaseAllow.isEmpty || environment("DEV_RELEASE_ALLOW") != nil {
            throw ValidationError("--dev-release-allow is for --dev only")
        }
        var configuration = try server.configuration(ports: try ports.resolved(), inboundAuthChecks: true)
        configuration.outbound = try outbound.resolved()
        configuration.nntpPeers =
            nntpPeers.isEmpty
            ? (environment("NNTP_PEER")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
            : nntpPeers
        configuration.publishing = try publishing.resolved()
        configuration.store = store ?? environment("STORE")
        if let text = configuration.store {
            do { _ = try PostgresStoreURL(text) } catch { throw ValidationError("--store: \(error)") }
        }
        try validated(configuration)
        return configuration
    }
}

/// `serve --dev`: the catch-all test server for developers (README "For developers: catch every mail").
struct DevOptions: ParsableArguments {
    @Flag(
        help: """
            Catch every mail for testing: any address at any domain, nothing relayed (but what is released to \
            --dev-release-allow addresses), any IMAP login \
            (the recipient's address, or `all`), a JSON API and a web page on the HTTP port. Defaults: \
            SMTP 1025, submission 1587, IMAP 1143, IMAPS 1993, HTTP 8025 on 127.0.0.1, storage a fresh \
            folder in /tmp. Never let it face the internet.
            """
    )
    var dev = false

    @Option(
        help: "With --dev: the one password every IMAP login and SMTP AUTH needs (default: any). [CORREO_DEV_PASSWORD]"
    )
    var devPassword: String?

    @Option(
        name: .customLong("dev-fault"),
        help: ArgumentHelp(
            """
            With --dev: an SMTP fault to play, e.g. 'RCPT to=x@* times=2 452 4.2.2 Busy' or 'DATA close-after=1000' \
            (repeatable, or several separated by ';'; README "Scripted faults"). [CORREO_DEV_FAULT]
            """,
            valueName: "LINE"
        )
    )
    var devFaults: [String] = []

    @Option(
        name: .customLong("dev-release-allow"),
        help: ArgumentHelp(
            """
            With --dev: an address pattern ('*' for any run of characters, e.g. '*@example.com') that \
            POST /api/messages/{id}/release may send a captured message to, through the relay (repeatable; \
            without it release is refused). [CORREO_DEV_RELEASE_ALLOW, comma-separated]
            """,
            valueName: "PATTERN"
        )
    )
    var devReleaseAllow: [String] = []

    /// The release allow-list from `--dev-release-allow`, else from `CORREO_DEV_RELEASE_ALLOW` (or the file).
    func releaseAllow() -> [String] {
        let given = devReleaseAllow.isEmpty ? environment("DEV_RELEASE_ALLOW").map { [$0] } ?? [] : devReleaseAllow
        return given.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The faults from `--dev-fault`, else from `CORREO_DEV_FAULT` (or the file), parsed.
    func faults() throws -> [SMTPFault] {
        // ';' separates faults everywhere (a reply text cannot hold one), so a flag, the variable and the
        // file say the same thing the same way.
        let given = devFaults.isEmpty ? environment("DEV_FAULT").map { [$0] } ?? [] : devFaults
        let lines = given.flatMap { $0.split(separator: ";") }.map { $0.trimmingCharacters(in: .whitespaces) }
        return try lines.filter { !$0.isEmpty }.map { line in
            do {
                return try SMTPFault(parsing: line)
            } catch {
                throw ValidationError("--dev-fault: \(error)")
            }
        }
    }

    /// `--dev`, `CORREO_DEV=1` or `dev = true` in the file.
    var isOn: Bool {
        get throws { try dev || resolveSwitch("DEV") == true }
    }
}

/// The developer's fresh storage folder, made once per process: a SIGHUP or `config show` resolves the
/// configuration again and must find the same folder, not make another.
private let devStorage = Result { try DevMode.freshStorage() }

extension ServeOptions {
    /// `--dev`: the friendly defaults, then the same service as ever with `dev` set.
    func devConfiguration() throws -> CorreoConfiguration {
        let defaults = CorreoConfiguration.Ports(
            smtp: DevMode.smtpPort,
            submission: DevMode.submissionPort,
            smtps: 0,
            imap: DevMode.imapPort,
            imaps: DevMode.imapsPort,
            nntp: 0,
            nntps: 0
        )
        var configuration = try server.configuration(
            ports: try ports.resolved(defaults: defaults),
            acceptsUnknownRecipients: true,
            defaultBind: "127.0.0.1",
            defaultHTTPPort: DevMode.httpPort
        )
        if server.storage.storage == nil, environment("STORAGE") == nil {
            configuration.storage = try devStorage.get()
        }
        // Applications under test often send without TLS; AUTH works over plain connections here.
        configuration.allowPlaintextAuth = true
        configuration.inboundAuthChecks = false
        configuration.dev = DevSettings(
            password: dev.devPassword ?? environment("DEV_PASSWORD"),
            faults: try dev.faults(),
            releaseAllow: dev.releaseAllow()
        )
        // Used only to send what is released (the relay's smarthost, MX port, nameservers, TLS policy).
        configuration.outbound = try outbound.resolved()
        if configuration.httpPort == 0 {
            throw ValidationError("--dev needs its HTTP port for the API: give --http-port a port, not 0")
        }
        try validated(configuration)
        return configuration
    }
}
