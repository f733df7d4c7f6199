import Logging
import MailTestSupport
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

@testable import IMAPServer

/// An executor that accepts bob/pw and answers every mailbox command with OK, recording what it saw.
private actor FakeExecutor: IMAPCommandExecuting {
    var verified: [String] = []
    var executed: [IMAPCommand] = []

    func verify(username: String, password: String) async -> Bool {
        verified.append(username)
        return username == "bob" && password == "pw"
    }

    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome {
        executed.append(request.command)
        if case .append(let append) = request.command {
            appended.append(
                append.streamedLiteralID == nil
                    ? append.message : (request.streamedLiteral?.literal as? MemoryLiteral)?.bytes ?? []
            )
        }
        await sink.send([.untagged(.exists(1))])
        if case .select(let name, _) = request.command {
            return CommandOutcome(
                responses: [.ok(request.tag, .readWrite, "SELECT completed")],
                selection: .selected(name, readOnly: false)
            )
        }
        return CommandOutcome(responses: [.ok(request.tag, "\(request.command.name) completed")])
    }

    func beginIdle(sink: ResponseSink) async {
        await sink.send([.untagged(.exists(2))])
    }

    func endIdle() async {}

    func close() async {}

    nonisolated func makeStreamedLiteral() throws -> any StreamedLiteral { MemoryLiteral() }

    var appended: [[UInt8]] = []
}

/// Collects a streamed literal in memory so tests can see what reached the "file".
private final class MemoryLiteral: StreamedLiteral, @unchecked Sendable {
    var bytes: [UInt8] = []
    var abandoned = false
    func write(_ bytes: [UInt8]) throws { self.bytes += bytes }
    func abandon() { abandoned = true }
}

private func makeChannel(
    _ configuration: IMAPSessionConfiguration,
    executor: FakeExecutor,
    tls: NIOSSLContext? = nil
) async throws -> NIOAsyncTestingChannel {
    let handler = IMAPChannelHandler(
        configuration: configuration,
        executor: executor,
        tlsContext: tls,
        logger: Logger(label: "test")
    )
    let channel = try await NIOAsyncTestingChannel(handler: handler)
    try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1143))
    return channel
}

private func send(_ channel: NIOAsyncTestingChannel, _ text: String) async throws {
    try await channel.writeInbound(ByteBuffer(string: text))
}

/// Reads output until it contains `marker` (a tagged response), then returns it all.
private func output(_ channel: NIOAsyncTestingChannel, until marker: String) async throws -> String {
    var text = ""
    while !text.contains(marker) {
        var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        text += buffer.readString(length: buffer.readableBytes) ?? ""
    }
    return text
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct ChannelHandlerTests {
    @Test func greetsThenAsksForLiteralsAndLogsIn() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        #expect(try await output(channel, until: "\r\n").hasPrefix("* OK [CAPABILITY IMAP4rev1 "))
        try await send(channel, "a LOGIN {3}\r\n")
        #expect(try await output(channel, until: "\r\n") == "+ Ready for literal\r\n")
        try await send(channel, "bob {2}\r\n")
        #expect(try await output(channel, until: "\r\n") == "+ Ready for literal\r\n")
        try await send(channel, "pw\r\n")
        #expect(try await output(channel, until: "a OK").contains("a OK [CAPABILITY IMAP4rev1"))
        #expect(await executor.verified == ["bob"])
        _ = try await channel.finish()
    }

    @Test func pipelinedCommandsAnswerInOrder() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN bob pw\r\nb SELECT INBOX\r\nc FETCH 1 FLAGS\r\nd NOOP\r\n")
        let text = try await output(channel, until: "d OK")
        let a = try #require(text.range(of: "a OK"))
        let b = try #require(text.range(of: "b OK [READ-WRITE]"))
        let c = try #require(text.range(of: "c OK FETCH completed"))
        #expect(a.lowerBound < b.lowerBound && b.lowerBound < c.lowerBound)
        #expect(await executor.executed.count == 3)
        _ = try await channel.finish()
    }

    @Test func nonSynchronizingLiteralGetsNoContinuation() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN {3+}\r\nbob pw\r\n")
        let text = try await output(channel, until: "a OK")
        #expect(!text.contains("+ Ready"))
        _ = try await channel.finish()
    }

    @Test func failedLoginThenByeCloses() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(
            .init(allowPlaintextAuth: true, maxFailedLogins: 1, failedLoginDelayMilliseconds: 1),
            executor: executor
        )
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN bob wrong\r\n")
        // The slowdown is a timer on the channel's (virtual-time) event loop: move time on until it fires.
        // The verification itself takes real time, more on a loaded machine: the bound is a real one.
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while !text.contains("* BYE"), ContinuousClock.now < deadline {
            await channel.testingEventLoop.advanceTime(by: .milliseconds(5))
            if var buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        #expect(text.contains("a NO [AUTHENTICATIONFAILED]"))
        // Without the BYE the close would never come (virtual time stands still): fail, do not hang.
        try #require(text.contains("* BYE"), "\(text)")
        try await channel.closeFuture.get()
    }

    @Test func startTLSDropsInjectedPlaintext() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tls = try TestTLS.make(in: directory)
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
            )
        )
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(startTLSAvailable: true), executor: executor, tls: context)
        #expect(try await output(channel, until: "\r\n").contains("STARTTLS LOGINDISABLED"))
        try await send(channel, "a STARTTLS\r\nb LOGIN bob pw\r\n")
        #expect(try await output(channel, until: "a OK") == "a OK Begin TLS negotiation now\r\n")
        _ = try await channel.pipeline.handler(type: NIOSSLServerHandler.self).get()
        #expect(await executor.verified.isEmpty)
        _ = try? await channel.finish()
    }

    @Test func idleSendsUpdatesUntilDone() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN bob pw\r\nb SELECT INBOX\r\nc IDLE\r\n")
        let text = try await output(channel, until: "* 2 EXISTS")
        #expect(text.contains("+ idling\r\n"))
        try await send(channel, "DONE\r\n")
        #expect(try await output(channel, until: "c OK").contains("c OK IDLE completed"))
        _ = try await channel.finish()
    }

    @Test func longPipelineIsAnsweredInOrder() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        _ = try await output(channel, until: "\r\n")
        var burst = "a LOGIN bob pw\r\nb SELECT INBOX\r\n"
        for i in 0..<200 { burst += "n\(i) NOOP\r\n" }
        try await send(channel, burst)
        let text = try await output(channel, until: "n199 OK")
        let tags = text.split(separator: "\r\n").compactMap { line -> Int? in
            guard line.hasPrefix("n"), line.contains(" OK ") else { return nil }
            return Int(line.dropFirst().prefix { $0 != " " })
        }
        #expect(tags == Array(0..<200))
        _ = try await channel.finish()
    }

    @Test func largeAppendIsStreamedNotBuffered() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN bob pw\r\n")
        _ = try await output(channel, until: "a OK")
        let size = IMAPDefaults.appendStreamThreshold + 10
        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 250 + 1) }
        try await send(channel, "b APPEND INBOX (\\Seen) {\(size)}\r\n")
        #expect(try await output(channel, until: "\r\n") == "+ Ready for literal\r\n")
        var rest = message[...]
        while !rest.isEmpty {
            try await channel.writeInbound(ByteBuffer(bytes: rest.prefix(10_000)))
            rest = rest.dropFirst(10_000)
        }
        try await send(channel, "\r\nc APPEND INBOX {3+}\r\nabc\r\n")
        _ = try await output(channel, until: "c OK")
        #expect(await executor.appended == [message, Array("abc".utf8)])
        _ = try await channel.finish()
    }

    @Test func silentClientIsLoggedOutBeforeLogin() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(), executor: executor)
        _ = try await output(channel, until: "\r\n")
        await channel.testingEventLoop.advanceTime(by: .seconds(Int64(IMAPDefaults.unauthenticatedTimeoutSeconds - 1)))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await output(channel, until: "\r\n") == "* BYE Autologout; idle for too long\r\n")
        try await channel.closeFuture.get()
    }

    /// The timer is not re-armed on each read (see armAutologout): before login it is a deadline from
    /// the connection's start (HostileClientTests), and a login lengthens it to the logged-in limit.
    @Test func activityPostponesTheAutologout() async throws {
        let executor = FakeExecutor()
        let channel = try await makeChannel(.init(allowPlaintextAuth: true), executor: executor)
        let limit = Int64(IMAPDefaults.unauthenticatedTimeoutSeconds)
        _ = try await output(channel, until: "\r\n")
        await channel.testingEventLoop.advanceTime(by: .seconds(limit - 2))
        try await send(channel, "a NOOP\r\n")
        _ = try await output(channel, until: "a OK")
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await send(channel, "b LOGIN bob pw\r\n")
        _ = try await output(channel, until: "b OK")
        await channel.testingEventLoop.advanceTime(by: .seconds(Int64(IMAPDefaults.idleTimeoutSeconds - 1)))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await output(channel, until: "\r\n") == "* BYE Autologout; idle for too long\r\n")
        try await channel.closeFuture.get()
    }
}
