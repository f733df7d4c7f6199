import Foundation
import MailTestSupport
import Testing

@Suite(.offThePool) struct CertCommandTests {
    @Test func certWritesFilesThatOpensslReads() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CorreoBinary.run(["cert", "--host", "mail.example.test", "--output", directory.path])
        #expect(result.status == 0, "\(result.standardError)")
        let certificate = directory.url.appendingPathComponent("cert.pem").path
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-in", certificate, "-noout", "-text"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitForExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("DNS:mail.example.test"))
    }

    @Test func certWithoutHostExplainsWhatIsMissing() throws {
        let result = try CorreoBinary.run(["cert"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--host"))
    }

    @Test func everySubcommandDescribesItsOptions() throws {
        for (command, option) in [
            ("serve", "--smtp-port"), ("smtpd", "--port"), ("imapd", "--port"), ("send", "--csv"),
            ("user", "add"), ("cert", "--host"),
        ] {
            let result = try CorreoBinary.run([command, "--help"])
            #expect(result.status == 0, "\(command) --help failed")
            #expect(result.standardOutput.contains(option), "\(command) --help does not mention \(option)")
        }
    }
}
