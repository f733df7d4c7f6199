import Foundation
import MailTestSupport
import NIOCore
import NIOEmbedded
import ServerSupport
import Synchronization
import Testing

@testable import SMTPServer

/// Refuses every password, but only once the test opens the gate: the client can hang up first.
private final class GatedAuthenticator: SMTPAuthenticator {
    let isOpen = Mutex(false)
    func authenticate(username: String, password: String) async -> Bool {
        for _ in 0..<1000 where !isOpen.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        return false
    }
}

/// One SMTP handler on a testing channel (virtual time) from a given client address.
private struct Connection {
    let channel = NIOAsyncTestingChannel()

    init(
        settings: SMTPServerHandler.Settings,
        address: String = "192.0.2.1",
        authenticator: any SMTPAuthenticator = StaticAuthenticator()
    ) async throws {
        try await channel.testingEventLoop.executeInContext { [channel] in
            var configuration = SessionHarness.configuration(allowPlaintextAuth: true)
            // As SMTPServer does: a session asks the shared throttle only when the server has one.
            configuration.sharesAuthThrottle = settings.authThrottle != nil
            let session = SMTPSession(
                configuration: configuration,
                connectionID: "t1",
                clientAddress: address
            )
            try channel.pipeline.syncOperations.addHandler(
                SMTPServerHandler(
                    session: session,
                    target: MemoryDelivery(),
                    authenticator: authenticator,
                    tlsContext: nil,
                    settings: settings,
                    logger: .init(label: "test")
                )
            )
        }
        try await channel.connect(to: SocketAddress(ipAddress: address, port: 2525)).get()
    }

    func send(_ text: String) async throws { try await channel.writeInbound(ByteBuffer(string: text)) }

    func output() async throws -> String {
        var text = ""
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func waitFor(_ expected: String) async throws -> String {
        var text = try await output()
        while !text.contains(expected) {
            text += String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
        }
        return text
    }

    /// AUTH PLAIN for alice@example.test with `password`; returns the reply.
    func authenticate(_ password: String) async throws -> String {
        let response = Data("\0alice@example.test\0\(password)".utf8).base64EncodedString()
        try await send("AUTH PLAIN \(response)\r\n")
        return try await waitFor("\r\n")
    }
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct HostileClientHandlerTests {
    let timeout = SMTPServerHandler.Settings(idleTimeout: .seconds(300))

    @Test func aTrickledCommandLineDoesNotRestartTheTimeout() async throws {
        let connection = try await Connection(settings: timeout)
        _ = try await connection.output()
        for _ in 0..<29 {
            await connection.channel.testingEventLoop.advanceTime(by: .seconds(10))
            try await connection.send("N")
        }
        await connection.channel.testingEventLoop.advanceTime(by: .seconds(9))
        #expect(try await connection.output() == "")
        await connection.channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await connection.output() == "421 4.4.2 Timeout; closing connection\r\n")
        try await connection.channel.closeFuture.get()
    }

    @Test func aWholeCommandLineRestartsTheTimeout() async throws {
        let connection = try await Connection(settings: timeout)
        _ = try await connection.output()
        await connection.channel.testingEventLoop.advanceTime(by: .seconds(299))
        try await connection.send("NOOP\r\n")
        await connection.channel.testingEventLoop.advanceTime(by: .seconds(299))
        #expect(try await connection.output() == "250 2.0.0 OK\r\n")
        await connection.channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await connection.output() == "421 4.4.2 Timeout; closing connection\r\n")
    }

    @Test func failuresFromOneAddressAddUpOverConnectionsUntilRefused() async throws {
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .zero, failuresBeforeBlock: 2))
        var settings = timeout
        settings.authThrottle = throttle
        for _ in 0..<2 {
            let connection = try await Connection(settings: settings)
            try await connection.send("EHLO c\r\n")
            _ = try await connection.waitFor("250 ")
            #expect(try await connection.authenticate("wrong").hasPrefix("535 5.7.8"))
        }
        let refused = try await Connection(settings: settings)
        try await refused.send("EHLO c\r\n")
        _ = try await refused.waitFor("250 ")
        #expect(try await refused.authenticate("secret") == "421 4.7.0 Too many failed logins; try later\r\n")
        try await refused.channel.closeFuture.get()
        // Another address is not affected.
        let other = try await Connection(settings: settings, address: "192.0.2.2")
        try await other.send("EHLO c\r\n")
        _ = try await other.waitFor("250 ")
        #expect(try await other.authenticate("secret").hasPrefix("235 "))
    }

    /// A client that hangs up while its password is checked still has the failure counted: hanging up
    /// is no free guess.
    @Test func aFailureCountsWhenTheClientHangsUpDuringTheCheck() async throws {
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .zero, failuresBeforeBlock: 1))
        var settings = timeout
        settings.authThrottle = throttle
        let authenticator = GatedAuthenticator()
        let connection = try await Connection(settings: settings, authenticator: authenticator)
        try await connection.send("EHLO c\r\n")
        _ = try await connection.waitFor("250 ")
        try await connection.send("AUTH PLAIN \(Data("\0alice@example.test\0wrong".utf8).base64EncodedString())\r\n")
        try await connection.channel.close()
        authenticator.isOpen.withLock { $0 = true }
        var refused = false
        // A real bound: the verification the gate lets go takes real time, more on a loaded machine.
        let deadline = ContinuousClock.now + .seconds(60)
        while !refused, ContinuousClock.now < deadline {
            await connection.channel.testingEventLoop.advanceTime(by: .milliseconds(5))
            try await Task.sleep(for: .milliseconds(10))
            refused = throttle.check(address: "192.0.2.1") == .refuse
        }
        #expect(refused)
    }

    @Test func aSuccessClearsTheAddressFailures() async throws {
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .zero, failuresBeforeBlock: 2))
        var settings = timeout
        settings.authThrottle = throttle
        let connection = try await Connection(settings: settings)
        try await connection.send("EHLO c\r\n")
        _ = try await connection.waitFor("250 ")
        #expect(try await connection.authenticate("wrong").hasPrefix("535 5.7.8"))
        #expect(try await connection.authenticate("secret").hasPrefix("235 "))
        #expect(throttle.check(address: "192.0.2.1") == .allow)
        #expect(throttle.trackedAddresses == 0)
    }
}
