import CorreoServer
import Foundation
import MailTestSupport
import NIOSSL
import Testing

@Suite(.offThePool) struct CertificateTests {
    @Test func generatedCertificateNamesEveryHostAndLoads() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let certificate = try SelfSignedCertificate.generate(hosts: ["mail.example.test", "127.0.0.1", "::1"])
        let paths = try certificate.write(to: directory.url.appendingPathComponent("tls"))
        let identity = try TLSIdentity.load(certificatePath: paths.certificate.path, keyPath: paths.privateKey.path)
        #expect(identity.certificateChain.count == 1)
        let text = try openssl(["x509", "-in", paths.certificate.path, "-noout", "-text"])
        #expect(text.contains("DNS:mail.example.test"))
        #expect(text.contains("IP Address:127.0.0.1"))
        #expect(text.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("TLS Web Server Authentication"))
    }

    @Test func privateKeyIsReadableByOwnerOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let paths = try SelfSignedCertificate.generate(hosts: ["localhost"]).write(to: directory.url)
        let attributes = try FileManager.default.attributesOfItem(atPath: paths.privateKey.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func oneFileWithCertificateAndKeyLoadsLikeTheOriginalsServerPem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let certificate = try SelfSignedCertificate.generate(hosts: ["localhost"])
        let combined = directory.url.appendingPathComponent("server.pem")
        try (certificate.privateKeyPEM + certificate.certificatePEM).write(
            to: combined,
            atomically: true,
            encoding: .utf8
        )
        let identity = try TLSIdentity.load(certificatePath: combined.path, keyPath: nil)
        #expect(identity.certificateChain.count == 1)
    }

    @Test func badFilesAreReportedByName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let certificate = try SelfSignedCertificate.generate(hosts: ["localhost"])
        let paths = try certificate.write(to: directory.url)
        let missing = directory.url.appendingPathComponent("nope.pem").path
        #expect(throws: CertificateError.missingFile(missing)) {
            try TLSIdentity.load(certificatePath: missing, keyPath: paths.privateKey.path)
        }
        #expect(throws: CertificateError.noPrivateKey(paths.certificate.path)) {
            try TLSIdentity.load(certificatePath: paths.certificate.path, keyPath: nil)
        }
        #expect(throws: CertificateError.noCertificate(paths.privateKey.path)) {
            try TLSIdentity.load(certificatePath: paths.privateKey.path, keyPath: paths.privateKey.path)
        }
        let encrypted = directory.url.appendingPathComponent("encrypted.pem").path
        _ = try openssl(["pkey", "-in", paths.privateKey.path, "-aes256", "-passout", "pass:secret", "-out", encrypted])
        #expect(throws: CertificateError.encryptedPrivateKey(encrypted)) {
            try TLSIdentity.load(certificatePath: paths.certificate.path, keyPath: encrypted)
        }
    }

    @Test func defaultCertificateIsMadeOnceAndReused() throws {
        let storage = try TemporaryDirectory()
        defer { storage.remove() }
        let first = try DefaultCertificate.ensure(storage: storage.url, hosts: ["mail.example.test"])
        let second = try DefaultCertificate.ensure(storage: storage.url, hosts: ["mail.example.test"])
        #expect(first.generated && !second.generated)
        #expect(first.certificate == second.certificate)
        let text = try openssl(["x509", "-in", first.certificate, "-noout", "-text"])
        #expect(text.contains("DNS:mail.example.test") && text.contains("DNS:localhost"))
    }

    private func openssl(_ arguments: [String]) throws -> String {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitForExit()
        return String(decoding: output, as: UTF8.self)
    }
}
