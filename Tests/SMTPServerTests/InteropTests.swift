import Foundation
import MailTestSupport
import Testing

@testable import SMTPServer

/// Real clients (Python smtplib and raw sockets from interop/smtp/, and swaks) against a real server on
/// 127.0.0.1; each message must arrive byte-exact behind the trace headers.
@Suite(.timeLimit(.minutes(5))) struct InteropTests {
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

    @Test func smtplibPlain() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(server, Fixture.plain, port: server.mx)
        #expect(result.status == 0, "\(result.output)")
        let stored = server.messages(for: "bob@example.test")
        #expect(stored.count == 1)
        #expect(stored.first?.isStored(Fixture.plain, from: "alice@example.test", with: "ESMTP") == true)
    }

    @Test func recipientCaseAndPostmaster() async throws {
        let server = try await LiveServer.start { $0.postmasterMailbox = "alice@example.test" }
        defer { Task { await server.stop() } }
        let result = try await send(
            server, Fixture.plain, port: server.mx, to: ["Bob@EXAMPLE.Test", "postmaster@example.test"])
        #expect(result.status == 0, "\(result.output)")
        #expect(server.messages(for: "bob@example.test").count == 1)
        #expect(server.messages(for: "alice@example.test").count == 1)
    }

    @Test func smtplibEightBit() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(server, Fixture.eightBit, port: server.mx, ["--body", "8BITMIME"])
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.eightBit,
                from: "alice@example.test",
                with: "ESMTP"
            ) == true
        )
    }

    @Test func smtplibSMTPUTF8() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.utf8,
            port: server.mx,
            to: ["josé@example.test"],
            from: "josé@example.test",
            ["--smtputf8"]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "josé@example.test").first?.isStored(
                Fixture.utf8,
                from: "josé@example.test",
                with: "UTF8SMTP"
            ) == true
        )
    }

    @Test func smtplibTwentyMegabytes() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        // smtplib declares SIZE= itself, as the server advertises it.
        let result = try await send(server, Fixture.large, port: server.mx)
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.large,
                from: "alice@example.test",
                with: "ESMTP"
            ) == true
        )
    }

    @Test func bdatBinaryInChunks() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.binary,
            port: server.mx,
            ["--bdat", "--chunk", "65536", "--body", "BINARYMIME"]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.binary,
                from: "alice@example.test",
                with: "ESMTP"
            ) == true
        )
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

    @Test func startTLSOnMX() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.mx,
            ["--starttls", "--cafile", server.tls.certificatePath]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.plain,
                from: "alice@example.test",
                with: "ESMTPS"
            ) == true
        )
    }

    @Test func submissionWithSTARTTLSAndAuthLogin() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.submission,
            [
                "--starttls", "--cafile", server.tls.certificatePath, "--auth", "LOGIN", "--user", "alice@example.test",
                "--password", "secret",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.plain,
                from: "alice@example.test",
                with: "ESMTPSA"
            ) == true
        )
    }

    @Test func submissionsWithImplicitTLSAndAuthPlain() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await send(
            server,
            Fixture.plain,
            port: server.submissions,
            [
                "--implicit-tls", "--cafile", server.tls.certificatePath, "--auth", "PLAIN", "--user",
                "alice@example.test",
                "--password", "secret",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.plain,
                from: "alice@example.test",
                with: "ESMTPSA"
            ) == true
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

@Suite(.timeLimit(.minutes(5))) struct SwaksTests {
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

    @Test func plain() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(server, Fixture.plain, port: server.mx, [])
        #expect(result.status == 0, "\(result.output)")
        let stored = server.messages(for: "bob@example.test")
        #expect(
            stored.first?.isStored(Fixture.plain, from: "alice@example.test", with: "ESMTP") == true,
            "\(stored.map { String(decoding: $0, as: UTF8.self) })"
        )
    }

    @Test func pipelining() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(server, Fixture.plain, port: server.mx, ["--pipeline"])
        #expect(result.status == 0, "\(result.output)")
        #expect(server.messages(for: "bob@example.test").count == 1)
    }

    @Test func startTLSAndAuthPlain() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(
            server,
            Fixture.plain,
            port: server.submission,
            [
                "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "secret",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.plain,
                from: "alice@example.test",
                with: "ESMTPSA"
            ) == true
        )
    }

    @Test func implicitTLSAndAuthLogin() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let result = try await swaks(
            server,
            Fixture.eightBit,
            port: server.submissions,
            [
                "--tls-on-connect", "--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "secret",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            server.messages(for: "bob@example.test").first?.isStored(
                Fixture.eightBit,
                from: "alice@example.test",
                with: "ESMTPSA"
            ) == true
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
