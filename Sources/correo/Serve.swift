import ArgumentParser
import CorreoServer

/// `correo serve`: every listener at once on the embedded defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP, submission and IMAP servers together (the one-command setup)."
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup var ports: PortOptions
    @OptionGroup(title: "Outbound mail") var outbound: OutboundOptions

    func run() async throws {
        var configuration = try server.configuration(ports: try ports.resolved(), inboundAuthChecks: true)
        configuration.outbound = try outbound.resolved()
        try validated(configuration)
        try await runServer(configuration, protocols: .all)
    }
}
