import ArgumentParser

/// `correo serve`: every listener at once on the embedded defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SMTP, submission and IMAP servers together (the one-command setup)."
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup var ports: PortOptions

    func run() async throws {
        throw ValidationError("serve: not yet available")
    }
}
