import ArgumentParser
import CorreoServer

/// `correo serve`: every listener at once on the embedded defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP, submission, IMAP and NNTP servers together (the one-command setup)."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        try await options.runServers(.all)
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
        help: "A news peer's IP address allowed to feed articles with IHAVE (repeatable). [CORREO_NNTP_PEER, comma-separated]"
    )
    var nntpPeers: [String] = []

    func resolvedConfiguration() throws -> CorreoConfiguration {
        var configuration = try server.configuration(ports: try ports.resolved(), inboundAuthChecks: true)
        configuration.outbound = try outbound.resolved()
        configuration.nntpPeers = nntpPeers.isEmpty
            ? (environment("NNTP_PEER")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
            : nntpPeers
        configuration.publishing = try publishing.resolved()
        try validated(configuration)
        return configuration
    }
}
