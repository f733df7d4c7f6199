import ArgumentParser
import CorreoServer
import Foundation
import MailCore

/// `correo cert`: a self-signed certificate in one command instead of the original's six openssl ones.
struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-signed certificate (cert.pem) and key (key.pem) for the given host names.",
        discussion: """
            Example: correo cert --host mail.example.test --host localhost --output ./mail/tls
            Then: correo serve --cert ./mail/tls/cert.pem --key ./mail/tls/key.pem
            """
    )

    @Option(name: .customLong("host"), help: "A host name (or IP address) for subjectAltName; repeatable.")
    var hosts: [String] = []

    @Option(help: "Folder for cert.pem and key.pem; created if missing. [default .]")
    var output: String = "."

    func validate() throws {
        if hosts.isEmpty { throw ValidationError("give at least one --host NAME") }
    }

    func run() throws {
        do {
            // A U-label host goes into the certificate as its A-label (RFC 5280 §7.2, RFC 6125 §6.4.2).
            let names = try hosts.map { host in
                guard IDNA.isInternationalized(host) else { return host }
                do {
                    return try IDNA.ascii(host)
                } catch {
                    throw ValidationError("--host \(error)")
                }
            }
            let certificate = try SelfSignedCertificate.generate(hosts: names)
            let paths = try certificate.write(to: URL(fileURLWithPath: output, isDirectory: true))
            print("wrote \(paths.certificate.path) and \(paths.privateKey.path) for \(names.joined(separator: ", "))")
        } catch let error as CertificateError {
            throw ValidationError(error.description)
        }
    }
}
