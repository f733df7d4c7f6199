import Logging
import MailTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import IMAPServer

/// One second, in the limiter's nanoseconds.
private let second: UInt64 = 1_000_000_000

@Suite(.offThePool) struct CommandRateLimiterTests {
    @Test func fullBurstAtOnceThenTheNextWaitsOneToken() {
        var limiter = CommandRateLimiter(burst: 3, commandsPerSecond: 10, now: 0)
        #expect((0..<3).map { _ in limiter.take(now: 0) } == [.proceed, .proceed, .proceed])
        #expect(limiter.take(now: 0) == .wait(nanoseconds: second / 10))
    }

    @Test func defaultBurstIsAcceptedAndOneMoreWaits() {
        var limiter = CommandRateLimiter.imapDefault(now: 7)
        let taken = (0..<IMAPDefaults.commandBurst).filter { _ in limiter.take(now: 7) == .proceed }
        #expect(taken.count == IMAPDefaults.commandBurst)
        #expect(limiter.take(now: 7) == .wait(nanoseconds: second / UInt64(IMAPDefaults.commandsPerSecond)))
    }

    @Test func aTokenComesBackAfterOneIntervalNotBefore() {
        var limiter = CommandRateLimiter(burst: 1, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        #expect(limiter.take(now: second / 10 - 1) == .wait(nanoseconds: 1))
        #expect(limiter.take(now: second / 10) == .proceed)
        #expect(limiter.take(now: second / 10) == .wait(nanoseconds: second / 10))
    }

    @Test func sustainedRateIsCommandsPerSecond() {
        var limiter = CommandRateLimiter(burst: 5, commandsPerSecond: 200, now: 0)
        var now: UInt64 = 0
        var accepted = 0
        while now <= 10 * second {
            switch limiter.take(now: now) {
            case .proceed: accepted += 1
            case .wait(let nanoseconds): now += nanoseconds
            }
        }
        // The burst, then one command every 5 ms for ten seconds (the one at exactly 10 s included).
        #expect(accepted == 5 + 2000)
    }

    @Test func idleTimeBuildsNoMoreThanOneBurstOfCredit() {
        var limiter = CommandRateLimiter(burst: 4, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        let later = 3600 * second
        #expect((0..<4).map { _ in limiter.take(now: later) } == Array(repeating: .proceed, count: 4))
        #expect(limiter.take(now: later) == .wait(nanoseconds: second / 10))
    }

    @Test func partialIntervalsAreNotLost() {
        var limiter = CommandRateLimiter(burst: 2, commandsPerSecond: 10, now: 0)
        #expect(limiter.take(now: 0) == .proceed)
        #expect(limiter.take(now: 0) == .proceed)
        // 150 ms earn one token; the spare 50 ms count towards the next, due at 200 ms.
        #expect(limiter.take(now: 150_000_000) == .proceed)
        #expect(limiter.take(now: 150_000_000) == .wait(nanoseconds: 50_000_000))
        #expect(limiter.take(now: 200_000_000) == .proceed)
    }
}

/// The handler with no mailbox behind it: NOOP before login is answered by the session itself.
private struct NoMailboxExecutor: IMAPCommandExecuting {
    func verify(username: String, password: String) async -> Bool { false }
    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome {
        CommandOutcome(responses: [.no(request.tag, "no mailbox here")])
    }
    func beginIdle(sink: ResponseSink) async {}
    func endIdle() async {}
    func makeStreamedLiteral() throws -> any StreamedLiteral { throw CancellationError() }
    func close() async {}
}

private func makeRateChannel() async throws -> NIOAsyncTestingChannel {
    let handler = IMAPChannelHandler(
        configuration: .init(),
        executor: NoMailboxExecutor(),
        tlsContext: nil,
        logger: Logger(label: "test")
    )
    let channel = try await NIOAsyncTestingChannel(handler: handler)
    try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1143))
    _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)  // the greeting
    return channel
}

/// `count` NOOPs tagged n<first>, n<first+1> and so on.
private func noops(from first: Int, count: Int) -> ByteBuffer {
    var text = ""
    for i in first..<(first + count) { text += "n\(i) NOOP\r\n" }
    return ByteBuffer(string: text)
}

/// Everything written so far, without waiting.
private func written(_ channel: NIOAsyncTestingChannel) async throws -> String {
    var text = ""
    while var buffer = try await channel.readOutbound(as: ByteBuffer.self) {
        text += buffer.readString(length: buffer.readableBytes) ?? ""
    }
    return text
}

/// Whether the handler lets the channel read the socket (the last autoRead it set; on by default).
private func isReading(_ channel: NIOAsyncTestingChannel) -> Bool {
    channel.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool ?? true
}

private func answered(_ text: String) -> Int {
    text.split(separator: "\r\n").filter { $0.hasSuffix(" OK NOOP completed") }.count
}

@Suite(.offThePool) struct CommandRateHandlerTests {
    @Test func aClientWithinTheBurstIsNeitherSlowedNorStopped() async throws {
        let channel = try await makeRateChannel()
        try await channel.writeInbound(noops(from: 0, count: IMAPDefaults.commandBurst))
        let text = try await written(channel)
        #expect(answered(text) == IMAPDefaults.commandBurst)
        #expect(text.hasSuffix("n\(IMAPDefaults.commandBurst - 1) OK NOOP completed\r\n"))
        #expect(isReading(channel))
        _ = try await channel.finish()
    }

    @Test func oneCommandOverTheBurstWaitsForATokenWithReadingStopped() async throws {
        let channel = try await makeRateChannel()
        let burst = IMAPDefaults.commandBurst
        try await channel.writeInbound(noops(from: 0, count: burst + 1))
        #expect(answered(try await written(channel)) == burst)
        #expect(!isReading(channel))
        let interval = Int64(1_000_000_000 / IMAPDefaults.commandsPerSecond)
        await channel.testingEventLoop.advanceTime(by: .nanoseconds(interval - 1))
        #expect(try await written(channel) == "")
        await channel.testingEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(try await written(channel) == "n\(burst) OK NOOP completed\r\n")
        #expect(isReading(channel))
        #expect(channel.isActive)
        _ = try await channel.finish()
    }

    @Test func aThrottledFloodRunsAtTheSustainedRateInOrder() async throws {
        let channel = try await makeRateChannel()
        let burst = IMAPDefaults.commandBurst
        let rate = IMAPDefaults.commandsPerSecond
        try await channel.writeInbound(noops(from: 0, count: burst + rate))
        _ = try await written(channel)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(500))
        #expect(answered(try await written(channel)) == rate / 2)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(500))
        let rest = try await written(channel)
        #expect(answered(rest) == rate / 2)
        #expect(rest.hasSuffix("n\(burst + rate - 1) OK NOOP completed\r\n"))
        #expect(isReading(channel))
        _ = try await channel.finish()
    }

    @Test func queuedFloodUpToTheLimitIsKeptOneMoreGetsBye() async throws {
        let channel = try await makeRateChannel()
        let burst = IMAPDefaults.commandBurst
        try await channel.writeInbound(noops(from: 0, count: burst + IMAPDefaults.maxQueuedCommands))
        #expect(answered(try await written(channel)) == burst)
        #expect(channel.isActive)
        try await channel.writeInbound(noops(from: burst + IMAPDefaults.maxQueuedCommands, count: 1))
        #expect(try await written(channel) == "* BYE Too many commands\r\n")
        #expect(!channel.isActive)
    }
}
