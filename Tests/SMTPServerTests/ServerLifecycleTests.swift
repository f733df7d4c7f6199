import MailTestSupport
import NIOCore
import NIOPosix
import SMTPCore
import Testing

@testable import SMTPServer

@Suite(.offThePool, .timeLimit(.minutes(5))) struct ServerLifecycleTests {
    /// SIGTERM/SIGINT path: listeners close at once, the transaction under way finishes with 250, then 421.
    @Test func gracefulShutdownLetsTheTransactionFinish() async throws {
        let server = try await LiveServer.start()
        let client = try await SMTPTestClient.connect(port: server.mx)
        let codes = try await client.conversation { replies, writer -> [Int] in
            var codes: [Int] = []
            codes.append(try await replies.next()?.code ?? 0)
            try await writer.send("EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
            for _ in 0..<4 { codes.append(try await replies.next()?.code ?? 0) }
            try await writer.send("Subject: last one\r\n\r\nfirst half\r\n")
            let shutdown = Task { await server.server.shutdown(graceful: true) }
            try await writer.send("second half\r\n.\r\n")
            while let reply = try await replies.next() { codes.append(reply.code) }
            await shutdown.value
            return codes
        }
        #expect(codes == [220, 250, 250, 250, 354, 250, 421])
        #expect(server.messages(for: "bob@example.test").count == 1)
        await #expect(throws: (any Error).self) { _ = try await SMTPTestClient.connect(port: server.mx) }
        server.directory.remove()
    }

    @Test func idleSessionsCloseAtShutdown() async throws {
        let server = try await LiveServer.start()
        let client = try await SMTPTestClient.connect(port: server.mx)
        let last = try await client.conversation { replies, writer -> SMTPReply? in
            _ = try await replies.next()
            try await writer.send("EHLO c\r\n")
            _ = try await replies.next()
            await server.server.shutdown(graceful: true)
            return try await replies.next()
        }
        #expect(last?.code == 421)
        #expect(last?.enhancedCode == EnhancedStatusCode(4, 3, 2))
        server.directory.remove()
    }

    /// The total limit: N connections are served, the N+1st gets 421 4.7.0.
    @Test func totalConnectionLimit() async throws {
        let server = try await LiveServer.start { $0.maximumConnections = 2 }
        defer { Task { await server.stop() } }
        let probe = try await ExternalTool.python("probe.py", ["--port", "\(server.submission)", "--connections", "3"])
        let lines = probe.output.split(separator: "\n")
        #expect(lines.count == 3, "\(probe.output)")
        #expect(lines.prefix(2).allSatisfy { $0.hasPrefix("220 ") }, "\(probe.output)")
        #expect(lines.last?.hasPrefix("421 4.7.0") == true, "\(probe.output)")
    }

    @Test func implicitTLSNeedsACertificate() async throws {
        let server = SMTPServer(
            configuration: SMTPServerConfiguration(hostname: "h", localDomains: ["example.test"]),
            delivery: MemoryDelivery(),
            authenticator: StaticAuthenticator(),
            tlsContext: nil,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: .init(label: "test")
        )
        await #expect(throws: SMTPServerError.implicitTLSWithoutCertificate) {
            _ = try await server.start(listeners: [SMTPListener(kind: .submissions, host: "127.0.0.1", port: 0)])
        }
    }

    @Test func aListenerThatCannotBindLeavesNoneOpen() async throws {
        let running = try await LiveServer.start()
        defer { Task { await running.stop() } }
        let server = SMTPServer(
            configuration: SMTPServerConfiguration(hostname: "h", localDomains: ["example.test"]),
            delivery: MemoryDelivery(),
            authenticator: StaticAuthenticator(),
            tlsContext: nil,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: .init(label: "test")
        )
        await #expect(throws: (any Error).self) {
            _ = try await server.start(listeners: [
                SMTPListener(kind: .mx, host: "127.0.0.1", port: 0),
                SMTPListener(kind: .submission, host: "127.0.0.1", port: running.mx),
            ])
        }
        // Nothing is left listening: a later start on free ports works and shuts down cleanly.
        let bound = try await server.start(listeners: [SMTPListener(kind: .mx, host: "127.0.0.1", port: 0)])
        #expect(bound.count == 1)
        await server.shutdown(graceful: false)
    }
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct ConcurrentSessionTests {
    /// Many sessions at once, each with several messages: every one is stored, whole, in the Maildir.
    @Test func twentySessionsFiveMessagesEach() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let codes = try await withThrowingTaskGroup(of: [Int].self) { group in
            for session in 0..<20 {
                group.addTask {
                    let client = try await SMTPTestClient.connect(port: server.mx)
                    return try await client.conversation { replies, writer in
                        var codes = [try await replies.next()?.code ?? 0]
                        try await writer.send("EHLO c\(session)\r\n")
                        codes.append(try await replies.next()?.code ?? 0)
                        for message in 0..<5 {
                            try await writer.send(
                                "MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                            )
                            for _ in 0..<3 { codes.append(try await replies.next()?.code ?? 0) }
                            try await writer.send(
                                "Subject: \(session)-\(message)\r\n\r\nbody \(session)-\(message)\r\n.\r\n"
                            )
                            codes.append(try await replies.next()?.code ?? 0)
                        }
                        try await writer.send("QUIT\r\n")
                        codes.append(try await replies.next()?.code ?? 0)
                        return codes
                    }
                }
            }
            var all: [[Int]] = []
            for try await codes in group { all.append(codes) }
            return all
        }
        #expect(codes.count == 20)
        #expect(
            codes.allSatisfy {
                $0 == [220, 250] + Array(repeating: [250, 250, 354, 250], count: 5).flatMap { $0 } + [221]
            }
        )
        let stored = server.messages(for: "bob@example.test").map { String(decoding: $0, as: UTF8.self) }
        #expect(stored.count == 100)
        for session in 0..<20 {
            for message in 0..<5 {
                #expect(
                    stored.filter {
                        $0.hasSuffix("Subject: \(session)-\(message)\r\n\r\nbody \(session)-\(message)\r\n")
                    }.count == 1
                )
            }
        }
    }
}
