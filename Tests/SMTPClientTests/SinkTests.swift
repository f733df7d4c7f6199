import Foundation
import MailTestSupport
import SMTPClient
import SMTPCore
import Testing

/// The client over real sockets against aiosmtpd (interop/send/smtp_sink.py).
@Suite(.offThePool) struct SinkTests {
    static let message = Array(
        "From: me@x.test\r\nTo: ann@x.test\r\nSubject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n".utf8
    )

    @Test func startTLSAuthAndDotsArriveUnchanged() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try SMTPSink(outdir: directory.url, tls: tls, requireTLS: true, auth: ("ann", "s3cret"))
            defer { sink.stop() }
            let connection = try await SMTPClient.connect(
                host: "127.0.0.1",
                port: sink.port,
                tls: .startTLS(.required),
                trust: .certificateAuthorities(pemFile: tls.certificatePath),
                auth: SMTPCredentials(username: "ann", password: "s3cret")
            )
            #expect(connection.isTLSActive)
            let result = try await connection.send(from: "me@x.test", recipients: ["ann@x.test"], message: Self.message)
            await connection.close()
            #expect(result.dataReply.code == 250)
            #expect(result.dataReply.enhancedCode == EnhancedStatusCode(2, 0, 0))
            #expect(result.dataReply.lines.first?.hasPrefix("OK queued as sink-") == true)
            #expect(sink.messages(for: "ann@x.test") == [Data(Self.message)])
        }
    }

    @Test func implicitTLSWithAuth() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try SMTPSink(outdir: directory.url, tls: tls, implicitTLS: true, auth: ("ann", "pw"))
            defer { sink.stop() }
            let connection = try await SMTPClient.connect(
                host: "localhost",
                port: sink.port,
                tls: .implicit,
                trust: .certificateAuthorities(pemFile: tls.certificatePath),
                auth: SMTPCredentials(username: "ann", password: "pw")
            )
            #expect(connection.isTLSActive)
            #expect(!connection.capabilities.startTLS)
            let result = try await connection.send(from: "me@x.test", recipients: ["bo@x.test"], message: Self.message)
            await connection.close()
            #expect(result.accepted.map(\.address) == ["bo@x.test"])
            #expect(sink.messages(for: "bo@x.test") == [Data(Self.message)])
        }
    }

    @Test func oneConnectionManyMessagesWithRefusalsBetween() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(
                outdir: directory.url,
                reject: ["gone@x.test": "550 5.1.1 <gone@x.test>: no such user"],
                rejectOnce: ["busy@x.test": "451 4.2.1 mailbox busy, try later"],
                pipelining: true
            )
            defer { sink.stop() }
            let connection = try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, tls: .none)
            #expect(connection.capabilities.pipelining)
            _ = try await connection.send(from: "me@x.test", recipients: ["a@x.test"], message: Self.message)
            await #expect(
                throws: SMTPClientError.allRecipientsRejected([
                    RecipientResult(
                        address: "gone@x.test",
                        reply: SMTPReply(code: 550, EnhancedStatusCode(5, 1, 1), "<gone@x.test>: no such user")
                    )
                ])
            ) {
                try await connection.send(from: "me@x.test", recipients: ["gone@x.test"], message: Self.message)
            }
            let mixed = try await connection.send(
                from: "me@x.test",
                recipients: ["busy@x.test", "b@x.test"],
                message: Self.message
            )
            #expect(
                mixed.rejected == [
                    RecipientResult(
                        address: "busy@x.test",
                        reply: SMTPReply(code: 451, EnhancedStatusCode(4, 2, 1), "mailbox busy, try later")
                    )
                ]
            )
            _ = try await connection.send(from: "me@x.test", recipients: ["busy@x.test"], message: Self.message)
            await connection.close()
            #expect(Set(sink.messageFiles) == ["a@x.test.eml", "b@x.test.eml", "busy@x.test.eml"])
        }
    }

    @Test func wrongPasswordGivesTheServersReply() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try SMTPSink(outdir: directory.url, tls: tls, auth: ("ann", "right"))
            defer { sink.stop() }
            await #expect(
                throws: SMTPClientError.authenticationFailed(
                    SMTPReply(code: 535, EnhancedStatusCode(5, 7, 8), "Authentication credentials invalid")
                )
            ) {
                _ = try await SMTPClient.connect(
                    host: "127.0.0.1",
                    port: sink.port,
                    trust: .certificateAuthorities(pemFile: tls.certificatePath),
                    auth: SMTPCredentials(username: "ann", password: "wrong")
                )
            }
        }
    }

    @Test func startTLSRequiredButNotOffered() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url)
            defer { sink.stop() }
            await #expect(throws: SMTPClientError.startTLSNotOffered) {
                _ = try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, tls: .startTLS(.required))
            }
        }
    }

    @Test func selfSignedCertificateIsRefusedUnlessTrustedOrInsecure() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try SMTPSink(outdir: directory.url, tls: tls)
            defer { sink.stop() }
            // The error names the cause (issue 19), not BoringSSL's codes and source paths.
            await #expect(throws: SMTPClientError.tlsHandshakeFailed(.certificateNotTrusted)) {
                _ = try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, trust: .system)
            }
            let insecure = try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, trust: .insecure)
            #expect(insecure.isTLSActive)
            await insecure.close()
        }
    }

    @Test func sizeLimitIsRefusedBeforeSending() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url, size: Self.message.count - 1)
            defer { sink.stop() }
            let connection = try await SMTPClient.connect(host: "127.0.0.1", port: sink.port, tls: .none)
            await #expect(
                throws: SMTPClientError.messageTooLarge(size: Self.message.count, limit: Self.message.count - 1)
            ) {
                try await connection.send(from: "me@x.test", recipients: ["a@x.test"], message: Self.message)
            }
            await connection.close()
            #expect(sink.messageFiles.isEmpty)
        }
    }
}
