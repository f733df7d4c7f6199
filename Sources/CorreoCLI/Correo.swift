import ArgumentParser

/// The `correo` command: one binary for the SMTP server, the IMAP server, the mail merge and their tools.
///
/// The executable target runs it (`@main extension Correo`); it lives in a library so that the CLI tests
/// link it without the executable's release linking (Package.swift's `releaseLinking`).
public struct Correo: AsyncParsableCommand {
    /// The subcommands, with the name, summary and version `--help` and `--version` print.
    public static let configuration = CommandConfiguration(
        commandName: "correo",
        abstract: "A mail server suite: SMTP in, Maildir on disk, IMAP out, and mail merge from CSV.",
        version: "0.1.0",
        subcommands: [
            Serve.self, SMTPD.self, IMAPD.self, Send.self, UserCommand.self, GroupCommand.self, QueueCommand.self,
            DbCommand.self, MigrateCommand.self, Cert.self, DKIMCommand.self, DnsCommand.self, ConfigCommand.self,
        ]
    )

    /// An empty command, as the argument parser requires before it fills one in.
    public init() {}
}
