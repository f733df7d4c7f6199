import ArgumentParser

/// `correo send`: one personalised message per CSV row, the original client's flags kept.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one personalised message per row of a CSV list (a dry run unless --send)."
    )

    @Option(name: [.customShort("c"), .customLong("csv")], help: "The list: name,email rows, or a header row naming the columns.")
    var csv: String

    @Option(name: [.customShort("e"), .customLong("from")], help: "The From address.")
    var from: String

    @Option(name: [.customShort("n"), .customLong("from-name")], help: "The From display name.")
    var fromName: String?

    @Option(name: [.customShort("h"), .customLong("host")], help: "The SMTP server. [default localhost]")
    var host: String = "localhost"

    @Option(name: [.customShort("p"), .customLong("port")], help: "The SMTP port. [default 587, 465 with --tls implicit]")
    var port: Int?

    @Option(name: [.customShort("s"), .customLong("subject")], help: "The subject; {{name}} and $name are filled in.")
    var subject: String?

    @Option(name: [.customShort("m"), .customLong("message")], help: "The body template file ({{column}} or $name placeholders).")
    var message: String

    @Option(name: [.customShort("a"), .customLong("attach")], help: "A file to attach; repeatable.")
    var attach: [String] = []

    func run() async throws {
        throw ValidationError("send: not yet available")
    }
}
