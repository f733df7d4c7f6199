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
    @OptionGroup(title: "Publishing (MTA-STS, autoconfig)") var publishing: PublishingOptions

    @Option(name: .customLong("nntp-peer"), help: "A news peer's IP address allowed to feed articles with IHAVE (repeatable).")
    var nntpPeers: [String] = []

    func run() async throws {
        var configuration = try server.configuration(ports: try ports.resolved(), inboundAuthChecks: true)
        configuration.outbound = try outbound.resolved()
        configuration.nntpPeers = nntpPeers
        configuration.publishing = try publishing.resolved()
        try validated(configuration)
        try await runServer(configuration, protocols: .all)
    }
}
