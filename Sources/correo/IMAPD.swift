import ArgumentParser
import CorreoServer

/// `correo imapd`: the original IMAP server's command line (`-s STORAGE -p PORT`).
struct IMAPD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imapd",
        abstract: "Run only the IMAP servers; -p sets the IMAP (STARTTLS) port as in the original tool."
    )

    @OptionGroup var server: ServerOptions

    @Option(name: [.customShort("p"), .customLong("port")], help: "The IMAP (STARTTLS) port. [CORREO_IMAP_PORT, default 1143]")
    var port: Int?

    @Option(help: "IMAP over implicit TLS; 0 turns it off. [CORREO_IMAPS_PORT, default 1993]")
    var imapsPort: Int?

    func run() async throws {
        let defaults = CorreoConfiguration.Ports.defaults
        let ports = CorreoConfiguration.Ports(
            smtp: 0,
            submission: 0,
            smtps: 0,
            imap: try resolvePort(port, "IMAP_PORT", default: defaults.imap),
            imaps: try resolvePort(imapsPort, "IMAPS_PORT", default: defaults.imaps)
        )
        try await runServer(try server.configuration(ports: ports), protocols: .imap)
    }
}
