import Foundation
import MailTestSupport
import Testing

@testable import SMTPServer

/// Real clients (Python smtplib and raw sockets from interop/smtp/, and swaks) against a real server on
/// 127.0.0.1; each message must arrive byte-exact behind the trace headers.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct InteropTests {
    private func send(
        _ server: LiveServer,
        _ message: [UInt8],
        port: Int,
        to: [String] = ["bob@example.test"],
        from: String = "alice@example.test",
        _ options: [String] = []
    ) async throws -> ProcessResult {
        let file = try server.file("message-\(UUID().uuidString).eml", message)
        var arguments = ["--port", "\(port)", "--from", from, "--message", file]
        for recipient in to { arguments += ["--to", recipient] }
        return try await ExternalTool.python("send.py", arguments + options)
    }

    /// One message sent by smtplib (interop/smtp/send.py) that must be stored byte-exact for its first
    /// recipient, with the RFC 3848 `with` keyword the session earned.
    @Test(arguments: [
        Delivery("plain", Fixture.plain, with: "ESMTP"),
        Delivery("8BITMIME", Fixture.eightBit, with: "ESMTP", ["--body", "8BITMIME"]),
        Delivery(
            "SMTPUTF8",
            Fixture.utf8,
            from: "josé@example.test",
            to: "josé@example.test",
            with: "UTF8SMTP",
            ["--smtputf8"]
        ),
        // smtplib declares SIZE= itself, as the server advertises it.
        Delivery("twenty megabytes", Fixture.large, with: "ESMTP"),
        Delivery(
            "BDAT binary in chunks",
            Fixture.binary,
            with: "ESMTP",
            ["--bdat", "--chunk", "65536", "--body", "BINARYMIME"]
        ),
        Delivery("STARTTLS on MX", Fixture.plain, with: "ESMTPS", trustsServer: true, ["--starttls"]),
        Delivery(
            "submission, STARTTLS and AUTH LOGIN",
            Fixture.plain,
            port: .submission,
            with: "ESMTPSA",
            trustsServer: true,
            ["--starttls", "--auth", "LOGIN", "--user", "alice@example.test", "--password", "secret"]
        ),
        Delivery(
            "submissions, implicit TLS and AUTH PLAIN",
            Fixture.plain,
            port: .submissions,
            with: "ESMTPSA",
            trustsServer: true,
            ["--implicit-tls", "--auth", "PLAIN", "--user", "alice@example.test", "--password", "secret"]
        ),
    ])
    func smtplibDelivers(_ delivery: Delivery) async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let cafile = delivery.trustsServer ? ["--cafile", server.tls.certificatePath] : []
        let result = try await send(
            server,
            delivery.message,
            port: server.ports[delivery.port] ?? 0,
            to: [delivery.to],
            from: delivery.from,
            delivery.options + cafile
        )
        #expect(result.status == 0, "\(result.output)")
        let stored = server.messages(for: delivery.to)
        #expect(stored.count == 1)
        #expect(stored.first?.isStored(delivery.message, from: delivery.from, with: delivery.with) == true)
    }

    @Test func recipientCaseAndPostmaster() async throws {
        let server = try await LiveServer.start { $0.postmasterMailbox = "alice@example.test" }
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.mx,
            to: ["Bob@EXAMPLE.Test", "postmaster@example.test"]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(server.messages(for: "bob@example.test").count == 1)
        #expect(server.messages(for: "alice@example.test").count == 1)
    }

    @Test func pipelinedMessages() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.mx,
            to: ["bob@example.test", "alice@example.test"],
            ["--pipeline", "5"]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(server.messages(for: "bob@example.test").count == 5)
        #expect(
            server.messages(for: "alice@example.test").allSatisfy {
                $0.isStored(Fixture.plain, from: "alice@example.test", with: "ESMTP")
            }
        )
    }

    @Test func badPasswordIsRefused() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.submissions,
            [
                "--implicit-tls", "--auth", "PLAIN", "--user", "alice@example.test", "--password", "wrong",
            ]
        )
        #expect(result.status == 1)
        #expect(result.output.contains("AUTH 535 5.7.8"), "\(result.output)")
        #expect(server.messages(for: "bob@example.test").isEmpty)
    }

    @Test func authIsNotOfferedWithoutTLS() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.submission,
            ["--auth", "PLAIN", "--user", "alice@example.test", "--password", "secret"]
        )
        #expect(result.status == 1)
        #expect(result.output.contains("AUTH 538 5.7.11"), "\(result.output)")
        let probe = try await ExternalTool.python(
            "probe.py",
            [
                "--port", "\(server.submission)", "EHLO x", "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=",
                "MAIL FROM:<alice@example.test>",
            ]
        )
        #expect(probe.output.contains("538 5.7.11"), "\(probe.output)")
        #expect(probe.output.contains("530 5.7.0"), "\(probe.output)")
    }

    @Test func refusals() async throws {
        let server = try await LiveServer.start { $0.maximumMessageSize = 100_000 }
        defer { Task { await server.stop() } }
        let probe = try await ExternalTool.python(
            "probe.py",
            [
                "--port", "\(server.mx)", "--expect", "9", "EHLO x", "MAIL FROM:<alice@example.test> SIZE=100001",
                "MAIL FROM:<a@x.test>",
                "RCPT TO:<victim@elsewhere.test>", "RCPT TO:<nobody@example.test>", "RCPT TO:<bob@example.test>",
                "DATA",
                String(repeating: "x", count: 1001), ".", "QUIT",
            ]
        )
        let lines = probe.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 10, "\(probe.output)")
        #expect(lines.dropFirst(2).first?.hasPrefix("552 5.3.4") == true, "\(probe.output)")
        #expect(lines.dropFirst(4).first?.hasPrefix("554 5.7.1") == true)
        #expect(lines.dropFirst(5).first?.hasPrefix("550 5.1.1") == true)
        #expect(lines.dropFirst(7).first?.hasPrefix("354") == true)
        // The over-long line is not answered on its own; DATA ends with the refusal.
        #expect(lines.dropFirst(8).first?.hasPrefix("500 5.5.6") == true)
        #expect(server.messages(for: "bob@example.test").isEmpty)
        let declared = try await send(server, Fixture.large.prefix(200_000).map { $0 }, port: server.mx)
        #expect(declared.output.contains("MAIL 552 5.3.4"), "\(declared.output)")
        let undeclared = try await send(
            server,
            Fixture.large.prefix(200_000).map { $0 },
            port: server.mx,
            ["--no-size"]
        )
        #expect(undeclared.output.contains("DATA 552 5.3.4"), "\(undeclared.output)")
    }

    @Test func connectionsPerAddress() async throws {
        let server = try await LiveServer.start { $0.maximumConnectionsPerAddress = 2 }
        defer { Task { await server.stop() } }
        let probe = try await ExternalTool.python("probe.py", ["--port", "\(server.mx)", "--connections", "3"])
        let lines = probe.output.split(separator: "\n")
        #expect(lines.count == 3, "\(probe.output)")
        #expect(lines.last?.hasPrefix("421 4.7.0") == true, "\(probe.output)")
    }
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct SwaksTests {
    private func swaks(
        _ server: LiveServer,
        _ message: [UInt8],
        port: Int,
        _ options: [String]
    ) async throws -> ProcessResult {
        // swaks ends the data with CRLF.CRLF whatever the file ends with: give it the message without its
        // last CRLF so that what arrives is the message exactly.
        let file = try server.file("swaks-\(UUID().uuidString).eml", Array(message.dropLast(2)))
        return try await ExternalTool.swaks(
            [
                "--server", "127.0.0.1", "--port", "\(port)", "--helo", "client.example", "--from",
                "alice@example.test",
                "--to", "bob@example.test", "--data", "@\(file)",
            ] + options
        )
    }

    /// One message sent by swaks that must be stored byte-exact, with its `with` keyword.
    @Test(arguments: [
        Delivery("plain", Fixture.plain, with: "ESMTP"),
        Delivery("pipelining", Fixture.plain, with: "ESMTP", ["--pipeline"]),
        Delivery(
            "STARTTLS and AUTH PLAIN",
            Fixture.plain,
            port: .submission,
            with: "ESMTPSA",
            ["--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "secret"]
        ),
        Delivery(
            "implicit TLS and AUTH LOGIN",
            Fixture.eightBit,
            port: .submissions,
            with: "ESMTPSA",
            ["--tls-on-connect", "--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "secret"]
        ),
    ])
    func swaksDelivers(_ delivery: Delivery) async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(server, delivery.message, port: server.ports[delivery.port] ?? 0, delivery.options)
        #expect(result.status == 0, "\(result.output)")
        let stored = server.messages(for: "bob@example.test")
        #expect(stored.count == 1)
        #expect(
            stored.first?.isStored(delivery.message, from: "alice@example.test", with: delivery.with) == true,
            "\(stored.map { String(decoding: $0, as: UTF8.self) })"
        )
    }

    @Test func openRelayIsRefused() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await ExternalTool.swaks([
            "--server", "127.0.0.1", "--port", "\(server.mx)", "--from", "spammer@elsewhere.test", "--to",
            "victim@elsewhere.test",
        ])
        #expect(result.status == 24, "\(result.output)")
        #expect(result.output.contains("554 5.7.1 Relaying denied"))
    }

    @Test func badAuthIsRefused() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(
            server,
            Fixture.plain,
            port: server.submission,
            [
                "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "nope",
            ]
        )
        #expect(result.status == 28, "\(result.output)")
        #expect(result.output.contains("535 5.7.8"))
    }
}

/// One message a real client sends and the server must store byte-exact: a case of the parametrised
/// interop tests.
struct Delivery: Sendable, CustomTestStringConvertible {
    let name: String
    let message: [UInt8]
    let port: SMTPListenerKind
    let from: String
    let to: String
    /// The RFC 3848 keyword of the Received header for this session.
    let with: String
    /// Whether the client is given the test certificate (`--cafile`) to verify the server.
    let trustsServer: Bool
    let options: [String]

    init(
        _ name: String,
        _ message: [UInt8],
        port: SMTPListenerKind = .mx,
        from: String = "alice@example.test",
        to: String = "bob@example.test",
        with: String,
        trustsServer: Bool = false,
        _ options: [String] = []
    ) {
        self.name = name
        self.message = message
        self.port = port
        self.from = from
        self.to = to
        self.with = with
        self.trustsServer = trustsServer
        self.options = options
    }

    var testDescription: String { name }
}
