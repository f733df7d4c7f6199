import Logging
import MailStore
import MailTestSupport
import NIOCore
import NIOEmbedded
import ServerSupport
import Synchronization
import Testing

@testable import IMAPServer

/// Accepts bob/pw; every mailbox command succeeds.
private struct PasswordExecutor: IMAPCommandExecuting {
    func verify(username: String, password: String) async -> Bool { username == "bob" && password == "pw" }
    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome {
        CommandOutcome(responses: [.ok(request.tag, "\(request.command.name) completed")])
    }
    func beginIdle(sink: ResponseSink) async {}
    func endIdle() async {}
    func makeStreamedLiteral() throws -> any StreamedLiteral { throw CancellationError() }
    func close() async {}
}

/// Refuses every password, but only once the test opens the gate: the client can hang up first.
private final class GatedExecutor: IMAPCommandExecuting {
    let isOpen = Mutex(false)
    func verify(username: String, password: String) async -> Bool {
        for _ in 0..<1000 where !isOpen.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        return false
    }
    func execute(_ request: ExecutionRequest, sink: ResponseSink) async -> CommandOutcome {
        CommandOutcome(responses: [.ok(request.tag, "\(request.command.name) completed")])
    }
    func beginIdle(sink: ResponseSink) async {}
    func endIdle() async {}
    func makeStreamedLiteral() throws -> any StreamedLiteral { throw CancellationError() }
    func close() async {}
}

private func connect(
    _ defences: IMAPChannelHandler.Defences,
    from address: String = "192.0.2.1",
    executor: any IMAPCommandExecuting = PasswordExecutor()
) async throws -> NIOAsyncTestingChannel {
    let handler = IMAPChannelHandler(
        configuration: .init(allowPlaintextAuth: true, failedLoginDelayMilliseconds: 0),
        executor: executor,
        tlsContext: nil,
        defences: defences,
        logger: Logger(label: "test")
    )
    let channel = try await NIOAsyncTestingChannel(handler: handler)
    try await channel.connect(to: SocketAddress(ipAddress: address, port: 1143))
    _ = try await output(channel, until: "\r\n")
    return channel
}

private func send(_ channel: NIOAsyncTestingChannel, _ text: String) async throws {
    try await channel.writeInbound(ByteBuffer(string: text))
}

private func output(_ channel: NIOAsyncTestingChannel, until marker: String) async throws -> String {
    var text = ""
    while !text.contains(marker) {
        var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        text += buffer.readString(length: buffer.readableBytes) ?? ""
    }
    return text
}

/// Moves virtual time on in small steps until the output contains `marker` (pauses are timers).
private func output(_ channel: NIOAsyncTestingChannel, advancingUntil marker: String) async throws -> String {
    var text = ""
    // Bounded in real time: what the pause waits for (a verification, a lookup) takes longer on a loaded machine.
    let deadline = ContinuousClock.now + .seconds(60)
    while !text.contains(marker), ContinuousClock.now < deadline {
        await channel.testingEventLoop.advanceTime(by: .milliseconds(5))
        if var buffer = try await channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        } else {
            try await Task.sleep(for: .milliseconds(1))
        }
    }
    return text
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct HostileClientTests {
    let defences = IMAPChannelHandler.Defences(loginTimeoutSeconds: 60, idleTimeoutSeconds: 1800)

    @Test func commandsBeforeLoginDoNotPostponeTheLoginDeadline() async throws {
        let channel = try await connect(defences)
        await channel.testingEventLoop.advanceTime(by: .seconds(30))
        try await send(channel, "a NOOP\r\n")
        _ = try await output(channel, until: "a OK")
        await channel.testingEventLoop.advanceTime(by: .seconds(29))
        try await send(channel, "b NOOP\r\nc CAPA")
        _ = try await output(channel, until: "b OK")
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await output(channel, until: "\r\n") == "* BYE Autologout; idle for too long\r\n")
        try await channel.closeFuture.get()
    }

    @Test func afterLoginTheIdleAutologoutApplies() async throws {
        let channel = try await connect(defences)
        await channel.testingEventLoop.advanceTime(by: .seconds(59))
        try await send(channel, "a LOGIN bob pw\r\n")
        _ = try await output(channel, advancingUntil: "a OK")
        await channel.testingEventLoop.advanceTime(by: .seconds(1800 - 1))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await output(channel, until: "\r\n") == "* BYE Autologout; idle for too long\r\n")
    }

    @Test func aTrickledCommandAfterLoginDoesNotPostponeTheAutologout() async throws {
        let channel = try await connect(defences)
        try await send(channel, "a LOGIN bob pw\r\n")
        _ = try await output(channel, advancingUntil: "a OK")
        for octet in "b NOOP" {
            await channel.testingEventLoop.advanceTime(by: .seconds(299))
            try await send(channel, String(octet))
        }
        await channel.testingEventLoop.advanceTime(by: .seconds(1800 - 6 * 299 - 1))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await output(channel, until: "\r\n") == "* BYE Autologout; idle for too long\r\n")
    }

    @Test func failuresFromOneAddressAddUpOverConnectionsUntilRefused() async throws {
        var defences = self.defences
        defences.authThrottle = AuthThrottle(policy: .init(delayPerFailure: .zero, failuresBeforeBlock: 2))
        for _ in 0..<2 {
            let channel = try await connect(defences)
            try await send(channel, "a LOGIN bob wrong\r\n")
            #expect(try await output(channel, advancingUntil: "a NO").contains("a NO [AUTHENTICATIONFAILED]"))
        }
        let refused = try await connect(defences)
        try await send(refused, "a LOGIN bob pw\r\n")
        #expect(try await output(refused, until: "\r\n") == "* BYE Too many failed logins; try later\r\n")
        try await refused.closeFuture.get()
        let other = try await connect(defences, from: "192.0.2.2")
        try await send(other, "a LOGIN bob pw\r\n")
        #expect(try await output(other, advancingUntil: "a OK").contains("a OK"))
    }

    /// A client that hangs up while its password is checked still has the failure counted: hanging up
    /// is no free guess.
    @Test func aFailureCountsWhenTheClientHangsUpDuringTheCheck() async throws {
        var defences = self.defences
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .zero, failuresBeforeBlock: 1))
        defences.authThrottle = throttle
        let executor = GatedExecutor()
        let channel = try await connect(defences, executor: executor)
        try await send(channel, "a LOGIN bob wrong\r\n")
        try await channel.close()
        executor.isOpen.withLock { $0 = true }
        var refused = false
        // A real bound: the verification the gate lets go takes real time, more on a loaded machine.
        let deadline = ContinuousClock.now + .seconds(60)
        while !refused, ContinuousClock.now < deadline {
            await channel.testingEventLoop.advanceTime(by: .milliseconds(5))
            try await Task.sleep(for: .milliseconds(10))
            refused = throttle.check(address: "192.0.2.1") == .refuse
        }
        #expect(refused)
    }
}
