import ArgumentParser
import CorreoServer

/// `correo smtpd`: the original SMTP server's command line (`-d DOMAIN -s STORAGE -p PORT`).
struct SMTPD: AsyncParsableCommand, ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpd",
        abstract: "Run the original tool's SMTP server: -p sets its port; submission listeners only when asked.",
        discussion: """
            As the original: any address at a -d domain gets mail, its Maildir made at the first delivery \
            (--no-accept-unknown-recipients refuses users not in passwords.txt), on one port. \
            --submission-port and --smtps-port open the AUTH listeners too.
            """
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup(title: "Outbound mail") var outbound: OutboundOptions

    @Option(
        name: [.customShort("p"), .customLong("port")],
        help: "The SMTP (STARTTLS) port. [CORREO_SMTP_PORT, default 2525]"
    )
    var port: Int?

    @Option(help: "Submission: STARTTLS, then AUTH. [CORREO_SUBMISSION_PORT, default 0: off]")
    var submissionPort: Int?

    @Option(help: "Submission over implicit TLS. [CORREO_SMTPS_PORT, default 0: off]")
    var smtpsPort: Int?

    func resolvedConfiguration() throws -> CorreoConfiguration {
        let defaults = CorreoConfiguration.Ports.defaults
        let ports = CorreoConfiguration.Ports(
            smtp: try resolvePort(port, "SMTP_PORT", default: defaults.smtp),
            // The original ran one SMTP server on one port; the AUTH listeners are opened when asked for.
            submission: try resolvePort(submissionPort, "SUBMISSION_PORT", default: 0),
            smtps: try resolvePort(smtpsPort, "SMTPS_PORT", default: 0),
            imap: 0,
            imaps: 0
        )
        // The original's rule: any address at a -d domain gets mail, its Maildir made at first delivery;
        // the operator writes passwords.txt afterwards to open those Maildirs to IMAP.
        var configuration = try server.configuration(ports: ports, acceptsUnknownRecipients: true)
        configuration.outbound = try outbound.resolved()
        try validated(configuration)
        return configuration
    }

    func run() async throws {
        try await runServers(.smtp)
    }
}
