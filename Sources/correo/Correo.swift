import ArgumentParser

/// The `correo` command: one binary for the SMTP server, the IMAP server, the mail merge and their tools.
@main
struct Correo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correo",
        abstract: "A mail server suite: SMTP in, Maildir on disk, IMAP out, and mail merge from CSV.",
        version: "0.1.0",
        subcommands: [
            Serve.self, SMTPD.self, IMAPD.self, Send.self, UserCommand.self, GroupCommand.self, QueueCommand.self,
            DbCommand.self, MigrateCommand.self, Cert.self, DKIMCommand.self, DnsCommand.self, ConfigCommand.self,
        ]
    )
}
