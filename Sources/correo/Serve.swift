import ArgumentParser
import CorreoServer

/// `correo serve`: every listener at once on the embedded defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP, submission, IMAP and NNTP servers together (the one-command setup)."
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup var ports: PortOptions
    @OptionGroup(title: "Outbound mail") var outbound: OutboundOptions

    @Option(name: .customLong("nntp-peer"), help: "A news peer's IP address allowed to feed articles with IHAVE (repeatable).")
    var nntpPeers: [String] = []

    @OptionGroup(title: "Developer's mode") var dev: DevOptions

    func run() async throws {
        if dev.dev { return try await runDev() }
        var configuration = try server.configuration(ports: try ports.resolved(), inboundAuthChecks: true)
        configuration.outbound = try outbound.resolved()
        configuration.nntpPeers = nntpPeers
        try validated(configuration)
        try await runServer(configuration, protocols: .all)
    }
}

/// `serve --dev`: the catch-all test server for developers (README "For developers: catch every mail").
struct DevOptions: ParsableArguments {
    @Flag(
        help: """
            Catch every mail for testing: any address at any domain, nothing relayed, any IMAP login \
            (the recipient's address, or `all`), a JSON API and a web page on the HTTP port. Defaults: \
            SMTP 1025, submission 1587, IMAP 1143, IMAPS 1993, HTTP 8025 on 127.0.0.1, storage a fresh \
            folder in /tmp. Never let it face the internet.
            """
    )
    var dev = false

    @Option(help: "With --dev: the one password every IMAP login and SMTP AUTH needs (default: any). [CORREO_DEV_PASSWORD]")
    var devPassword: String?
}

extension Serve {
    /// `--dev`: the friendly defaults, then the same service as ever with `dev` set.
    func runDev() async throws {
        let defaults = CorreoConfiguration.Ports(
            smtp: DevMode.smtpPort, submission: DevMode.submissionPort, smtps: 0,
            imap: DevMode.imapPort, imaps: DevMode.imapsPort, nntp: 0, nntps: 0)
        var configuration = try server.configuration(
            ports: try ports.resolved(defaults: defaults), acceptsUnknownRecipients: true,
            defaultBind: "127.0.0.1", defaultHTTPPort: DevMode.httpPort)
        if server.storage.storage == nil, environment("STORAGE") == nil {
            configuration.storage = try DevMode.freshStorage()
        }
        // Applications under test often send without TLS; AUTH works over plain connections here.
        configuration.allowPlaintextAuth = true
        configuration.inboundAuthChecks = false
        configuration.dev = DevSettings(password: dev.devPassword ?? environment("DEV_PASSWORD"))
        if configuration.httpPort == 0 {
            throw ValidationError("--dev needs its HTTP port for the API: give --http-port a port, not 0")
        }
        try validated(configuration)
        try await runServer(configuration, protocols: [.smtp, .imap])
    }
}
