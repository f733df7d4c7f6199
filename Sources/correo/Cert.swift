import ArgumentParser

/// `correo cert`: a self-signed certificate in one command instead of the original's six openssl ones.
struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-signed certificate (cert.pem) and key (key.pem) for the given host names."
    )

    @Option(name: .customLong("host"), help: "A host name for subjectAltName; repeatable.")
    var hosts: [String] = []

    @Option(help: "Folder for cert.pem and key.pem. [default .]")
    var output: String = "."

    func run() throws {
        throw ValidationError("cert: not yet available")
    }
}
