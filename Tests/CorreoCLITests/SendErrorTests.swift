import Foundation
import MailTestSupport
import Testing

@testable import CorreoCLI

/// Issue 19: when the server can't be used, `correo send` says in a sentence or two which host and port,
/// what failed and which flag fixes it; that nothing was sent; no library internals; a non-zero exit.
@Suite(.offThePool) struct SendErrorTests {
    /// What must never reach the user: BoringSSL's codes, NIO's type names, build paths, a resume hint.
    static let internals = ["BoringSSL", "OPENSSL_internal", "NIOSSL", "IOError", ".build/", "handshake.cc", "resume"]

    static func send(_ directory: TemporaryDirectory, port: Int, _ extra: [String]) throws -> CorreoBinary.Result {
        try "Ana,ana@localhost\nBob,bob@localhost\n".write(
            toFile: directory.path + "/list.csv",
            atomically: true,
            encoding: .utf8
        )
        try "Hello $name\n".write(toFile: directory.path + "/body.txt", atomically: true, encoding: .utf8)
        return try CorreoBinary.run(
            [
                "send", "-c", "list.csv", "-e", "me@localhost", "-h", "127.0.0.1", "-p", String(port), "-s", "Hi",
                "-m", "body.txt", "--send",
            ] + extra,
            currentDirectory: directory.url
        )
    }

    static func expectClean(_ result: CorreoBinary.Result) {
        for word in internals { #expect(!result.standardError.contains(word), "\(word) in: \(result.standardError)") }
        #expect(result.standardError.contains("Nothing was sent."), "\(result.standardError)")
        #expect(result.standardOutput.contains("Sent 0, failed 0"), "\(result.standardOutput)")
    }

    @Test func aRefusedConnectionNamesHostPortAndWhatToCheck() async throws {
        try await TemporaryDirectory.with { directory in
            let port = try LoopbackPort.free()  // free again: nothing listens there
            let result = try Self.send(directory, port: port, [])
            #expect(result.status == 69)
            #expect(
                result.standardError.contains(
                    "correo send: could not connect to 127.0.0.1:\(port): the connection was refused."
                ),
                "\(result.standardError)"
            )
            #expect(result.standardError.contains("Is the server running and listening on port \(port)?"))
            Self.expectClean(result)
        }
    }

    @Test func anUntrustedCertificateAndAWrongTLSModeSayWhichFlagFixesThem() async throws {
        try await TemporaryDirectory.with { directory in
            let storage = directory.path + "/mail"
            let server = try await CorreoServerProcess.start { ports in
                ["smtpd", "-d", "localhost", "-p", String(ports[0]), "-s", storage, "--bind", "127.0.0.1"]
            }
            defer { Task { await server.stop() } }
            // A certificate of another server: the one correo made for itself is not in it.
            let other = try CorreoBinary.run(["cert", "--host", "other.test", "--output", directory.path + "/other"])
            try #require(other.status == 0, "\(other.standardError)")

            let untrusted = try Self.send(
                directory,
                port: server.port,
                ["--cafile", directory.path + "/other/cert.pem"]
            )
            #expect(untrusted.status == 69)
            #expect(
                untrusted.standardError.contains(
                    "correo send: 127.0.0.1:\(server.port): the TLS handshake failed: the server's "
                        + "certificate is not trusted"
                ),
                "\(untrusted.standardError)"
            )
            #expect(untrusted.standardError.contains("--cafile FILE"))
            #expect(untrusted.standardError.contains("--insecure"))
            Self.expectClean(untrusted)

            let implicitOnStartTLSPort = try Self.send(directory, port: server.port, ["--tls", "implicit"])
            #expect(implicitOnStartTLSPort.status == 69)
            #expect(
                implicitOnStartTLSPort.standardError.contains("the TLS handshake failed"),
                "\(implicitOnStartTLSPort.standardError)"
            )
            #expect(implicitOnStartTLSPort.standardError.contains("--tls starttls"))
            Self.expectClean(implicitOnStartTLSPort)

            // The same server, with its own certificate trusted: both rows go (the loopback note is not shown
            // when --cafile asks for verification).
            let trusted = try Self.send(directory, port: server.port, ["--cafile", storage + "/tls/cert.pem"])
            #expect(trusted.status == 0, "\(trusted.standardError)")
            #expect(trusted.standardOutput.contains("Sent 2, failed 0"))
            #expect(!trusted.standardError.contains("not verified"))
            await server.stop()
        }
    }

    @Test(arguments: [
        ("localhost", true), ("LOCALHOST.", true), ("mail.localhost", true), ("127.0.0.1", true), ("127.8.9.10", true),
        ("::1", true), ("[::1]", true), ("128.0.0.1", false), ("localhost.example.com", false),
        ("mail.example.com", false), ("127.0.0.1.example", false), ("1270.0.0.1", false),
    ])
    func theLoopbackRuleCoversThisMachineOnly(host: String, loopback: Bool) {
        #expect(SendSecurity.isLoopback(host) == loopback)
    }
}
