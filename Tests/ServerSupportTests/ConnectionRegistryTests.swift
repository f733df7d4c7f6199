import NIOCore
import NIOEmbedded
import ServerSupport
import Testing

/// The connection caps every listener shares (moved from IMAPServer's ConnectionCounterTests).
@Suite struct ConnectionRegistryTests {
    @Test func admitsUpToThePerAddressLimit() throws {
        let registry = ConnectionRegistry(maximumTotal: 100, maximumPerAddress: 3)
        let first = (0..<3).map { _ in EmbeddedChannel() }
        #expect(first.allSatisfy { registry.admit($0, address: "192.0.2.1") != nil })
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.1") == nil)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.2") != nil)
        registry.remove(first[0], address: "192.0.2.1")
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.1") != nil)
    }

    @Test func admitsUpToTheTotalLimit() throws {
        let registry = ConnectionRegistry(maximumTotal: 2, maximumPerAddress: 5)
        let second = EmbeddedChannel()
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.1") != nil)
        #expect(registry.admit(second, address: "192.0.2.2") != nil)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.3") == nil)
        registry.remove(second, address: "192.0.2.2")
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.3") != nil)
    }

    @Test func aClosedConnectionIsForgottenByItself() throws {
        let registry = ConnectionRegistry(maximumTotal: 1, maximumPerAddress: 1)
        let channel = EmbeddedChannel()
        #expect(registry.admit(channel, address: "192.0.2.1") == 1)
        #expect(registry.count == 1)
        _ = try channel.finish()
        #expect(registry.count == 0)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.1") == 2)
    }

    @Test("new caps (a reload) apply to the next admission; connections open over a lowered cap stay")
    func capsChangeForTheNextAdmission() {
        let registry = ConnectionRegistry(maximumTotal: 3, maximumPerAddress: 3)
        let open = (0..<2).map { _ in EmbeddedChannel() }
        #expect(open.allSatisfy { registry.admit($0, address: "192.0.2.1") != nil })
        registry.setMaximums(total: 3, perAddress: 1)
        #expect(registry.maximumPerAddress == 1)
        #expect(registry.count == 2)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.1") == nil)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.2") != nil)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.3") == nil)
        registry.setMaximums(total: 4, perAddress: 1)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.3") != nil)
    }

    @Test func nothingIsAdmittedOnceShuttingDown() {
        let registry = ConnectionRegistry(maximumTotal: 10, maximumPerAddress: 10)
        let open = EmbeddedChannel()
        _ = registry.admit(open, address: "192.0.2.1")
        #expect(registry.stopAccepting().count == 1)
        #expect(registry.admit(EmbeddedChannel(), address: "192.0.2.2") == nil)
    }
}

/// The refusal a connection over the caps gets: its one line, then the close.
@Suite struct RefusingHandlerTests {
    @Test func answersOnceAndCloses() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RefusingHandler(answer: "* BYE Too many connections\r\n"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 143)).wait()
        let written = try channel.readOutbound(as: ByteBuffer.self)
        #expect(written.map { String(buffer: $0) } == "* BYE Too many connections\r\n")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(channel.isActive == false)
    }
}
