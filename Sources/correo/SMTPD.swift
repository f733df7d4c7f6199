import ArgumentParser
import CorreoServer

/// `correo smtpd`: the original SMTP server's command line (`-d DOMAIN -s STORAGE -p PORT`).
struct SMTPD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpd",
        abstract: "Run only the SMTP servers; -p sets the MX-style SMTP port as in the original tool."
    )

    @OptionGroup var server: ServerOptions

    @Option(name: [.customShort("p"), .customLong("port")], help: "The SMTP (STARTTLS) port. [CORREO_SMTP_PORT, default 2525]")
    var port: Int?

    @Option(help: "Submission: STARTTLS, then AUTH; 0 turns it off. [CORREO_SUBMISSION_PORT, default 2587]")
    var submissionPort: Int?

    @Option(help: "Submission over implicit TLS; 0 turns it off. [CORREO_SMTPS_PORT, default 2465]")
    var smtpsPort: Int?

    func run() async throws {
        let defaults = CorreoConfiguration.Ports.defaults
        let ports = CorreoConfiguration.Ports(
            smtp: try resolvePort(port, "SMTP_PORT", default: defaults.smtp),
            submission: try resolvePort(submissionPort, "SUBMISSION_PORT", default: defaults.submission),
            smtps: try resolvePort(smtpsPort, "SMTPS_PORT", default: defaults.smtps),
            imap: 0,
            imaps: 0
        )
        try await runServer(try server.configuration(ports: ports), protocols: .smtp)
    }
}
