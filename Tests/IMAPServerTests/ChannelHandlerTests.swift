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
        await sink.send([.untagged(.exists(1))])
        if case .select(let name, _) = request.command {
            return CommandOutcome(responses: [.ok(request.tag, .readWrite, "SELECT completed")], selection: .selected(name, readOnly: false))
        }
        return CommandOutcome(responses: [.ok(request.tag, "\(request.command.name) completed")])
    }

    func idle(sink: ResponseSink) async {
        await sink.send([.untagged(.exists(2))])
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
    }

    func close() async {}
}

private func makeChannel(
    _ configuration: IMAPSessionConfiguration, executor: FakeExecutor, tls: NIOSSLContext? = nil
) async throws -> NIOAsyncTestingChannel {
    let handler = IMAPChannelHandler(configuration: configuration, executor: executor, tlsContext: tls, logger: Logger(label: "test"))
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

@Suite struct ChannelHandlerTests {
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
            .init(allowPlaintextAuth: true, maxFailedLogins: 1, failedLoginDelayMilliseconds: 1), executor: executor)
        _ = try await output(channel, until: "\r\n")
        try await send(channel, "a LOGIN bob wrong\r\n")
        // The slowdown is a timer on the channel's (virtual-time) event loop: move time on until it fires.
        var text = ""
        for _ in 0..<2000 where !text.contains("* BYE") {
            await channel.testingEventLoop.advanceTime(by: .milliseconds(5))
            if var buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        #expect(text.contains("a NO [AUTHENTICATIONFAILED]"))
        try await channel.closeFuture.get()
    }

    @Test func startTLSDropsInjectedPlaintext() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tls = try TestTLS.make(in: directory)
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))))
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
}
