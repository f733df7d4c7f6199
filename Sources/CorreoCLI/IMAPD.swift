import ArgumentParser
import CorreoServer

/// `correo imapd`: the original IMAP server's command line (`-s STORAGE -p PORT`).
struct IMAPD: AsyncParsableCommand, ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "imapd",
        abstract: "Run the original tool's IMAP server: -p sets its (STARTTLS) port; IMAPS only when asked."
    )

    @OptionGroup var server: ServerOptions

    @Option(
        name: [.customShort("p"), .customLong("port")],
        help: "The IMAP (STARTTLS) port. [CORREO_IMAP_PORT, default 1143]"
    )
    var port: Int?

    @Option(help: "IMAP over implicit TLS. [CORREO_IMAPS_PORT, default 0: off]")
    var imapsPort: Int?

    func resolvedConfiguration() throws -> CorreoConfiguration {
        let defaults = CorreoConfiguration.Ports.defaults
        let ports = CorreoConfiguration.Ports(
            smtp: 0,
            submission: 0,
            smtps: 0,
            imap: try resolvePort(port, "IMAP_PORT", default: defaults.imap),
            // The original ran one IMAP server on one port; IMAPS is opened when asked for.
            imaps: try resolvePort(imapsPort, "IMAPS_PORT", default: 0)
        )
        return try server.configuration(ports: ports)
    }

    func run() async throws {
        try await runServers(.imap)
    }
}
