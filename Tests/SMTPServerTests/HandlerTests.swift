import MailTestSupport
import NIOCore
import NIOEmbedded
import NIOSSL
import SMTPCore
import Synchronization
import Testing

@testable import SMTPServer

/// Counts flushes reaching the socket, to check one flush per read burst.
private final class FlushCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    let count = Mutex(0)

    func flush(context: ChannelHandlerContext) {
        count.withLock { $0 += 1 }
        context.flush()
    }
}

/// Counts read requests that get past the SMTP handler.
private final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    let count = Mutex(0)

    func read(context: ChannelHandlerContext) {
        count.withLock { $0 += 1 }
        context.read()
    }
}

private struct HandlerHarness {
    let channel: NIOAsyncTestingChannel
    let delivery: MemoryDelivery
    let flushes = FlushCounter()
    let reads = ReadCounter()

    init(
        delivery: MemoryDelivery = MemoryDelivery(),
        configuration: SMTPSessionConfiguration = SessionHarness.configuration(maximumMessageSize: 100_000),
        tlsContext: NIOSSLContext? = nil,
        settings: SMTPServerHandler.Settings = SMTPServerHandler.Settings()
    ) async throws {
        channel = NIOAsyncTestingChannel()
        self.delivery = delivery
        let flushes = self.flushes
        let reads = self.reads
        try await channel.testingEventLoop.executeInContext { [channel] in
            let session = SMTPSession(configuration: configuration, connectionID: "t1", clientAddress: "127.0.0.1")
            try channel.pipeline.syncOperations.addHandler(flushes)
            try channel.pipeline.syncOperations.addHandler(reads)
            try channel.pipeline.syncOperations.addHandler(
                SMTPServerHandler(
                    session: session,
                    target: delivery,
                    authenticator: StaticAuthenticator(),
                    tlsContext: tlsContext,
                    settings: settings,
                    logger: .init(label: "test")
                )
            )
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2525)).get()
    }

    /// Read requests that reached the socket, counted on the event loop (after what it is doing).
    func readCount() async throws -> Int {
        try await channel.testingEventLoop.executeInContext { [reads] in reads.count.withLock { $0 } }
    }

    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written so far.
    func output() async throws -> String {
        var text = ""
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Waits for writes until the output read so far contains `expected`.
    func waitFor(_ expected: String, after earlier: String = "") async throws -> String {
        var text = earlier + (try await output())
        while !text.contains(expected) {
            text += String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
        }
        return text
    }
}

@Suite(.offThePool, .timeLimit(.minutes(5))) struct HandlerTests {
    @Test func greetsOnConnect() async throws {
        let harness = try await HandlerHarness()
        #expect(try await harness.output() == "220 mx.example.test ESMTP correo ready\r\n")
    }

    @Test func commandsSplitAcrossReads() async throws {
        let harness = try await HandlerHarness()
        _ = try await harness.output()
        try await harness.send("NO")
        try await harness.send("OP\r")
        #expect(try await harness.output() == "")
        try await harness.send("\n")
        #expect(try await harness.output() == "250 2.0.0 OK\r\n")
    }

    @Test func oneFlushPerReadBurst() async throws {
        let harness = try await HandlerHarness()
        _ = try await harness.output()
        let before = harness.flushes.count.withLock { $0 }
        try await harness.send("NOOP\r\nNOOP\r\nHELP\r\nRSET\r\n")
        #expect(harness.flushes.count.withLock { $0 } == before + 1)
        #expect(try await harness.output().components(separatedBy: "\r\n").count == 6)
    }

    @Test func wholeMessageThroughTheHandler() async throws {
        let harness = try await HandlerHarness()
        try await harness.send("EHLO c\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        _ = try await harness.waitFor("354 ")
        try await harness.send("Subject: x\r\n\r\nsmuggle\n.\nMAIL FROM:<evil@x.test>\r\n..dot\r\n.\r\n")
        _ = try await harness.waitFor("250 2.0.0 OK: queued as t1-1\r\n")
        let stored = try #require(harness.delivery.stored.first)
        #expect(stored.recipients == ["bob@example.test"])
        #expect(
            String(decoding: stored.bytes, as: UTF8.self).hasSuffix(
                "\r\nSubject: x\r\n\r\nsmuggle\n.\nMAIL FROM:<evil@x.test>\r\n.dot\r\n"
            )
        )
        #expect(
            String(decoding: stored.bytes, as: UTF8.self).hasPrefix(
                "Return-Path: <alice@example.test>\r\nReceived: from c ([127.0.0.1])"
            )
        )
    }

    @Test func replyWaitsForDurableDelivery() async throws {
        let (gate, open) = AsyncStream<Void>.makeStream()
        let harness = try await HandlerHarness(delivery: MemoryDelivery(gate: gate))
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        let earlier = try await harness.waitFor("354 ")
        try await harness.send("hi\r\n.\r\nNOOP\r\n")
        #expect(!(try await harness.output()).contains("250 2.0.0 OK"))
        #expect(harness.delivery.stored.isEmpty)
        open.yield()
        let text = try await harness.waitFor("250 2.0.0 OK\r\n", after: earlier)
        #expect(text.hasSuffix("250 2.0.0 OK: queued as t1-1\r\n250 2.0.0 OK\r\n"))
        #expect(harness.delivery.stored.count == 1)
    }

    /// Backpressure: while the session waits for the store, the handler asks for no more input.
    @Test func readsAreHeldWhileTheSessionWaits() async throws {
        let (gate, open) = AsyncStream<Void>.makeStream()
        let harness = try await HandlerHarness(delivery: MemoryDelivery(lookupGate: gate))
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n")
        let before = try await harness.readCount()
        harness.channel.read()
        #expect(try await harness.readCount() == before)
        open.yield()
        _ = try await harness.waitFor("250 2.1.5")
        #expect(try await harness.readCount() == before + 1)
    }

    /// A recipient the target knows from memory is answered at once: MAIL's, RCPT's and DATA's
    /// replies leave in one flush; one it does not know is still looked up (and may be refused).
    @Test func aRememberedRecipientIsAnsweredInTheSameFlush() async throws {
        let harness = try await HandlerHarness(delivery: MemoryDelivery(remembered: ["bob@example.test"]))
        try await harness.send("EHLO c\r\n")
        _ = try await harness.waitFor("250 ")
        let before = harness.flushes.count.withLock { $0 }
        try await harness.send("MAIL FROM:<>\r\nRCPT TO:<Bob@example.test>\r\nDATA\r\n")
        #expect(harness.flushes.count.withLock { $0 } == before + 1)
        let replies = try await harness.output()
        #expect(replies.hasPrefix("250 2.1.0") && replies.contains("\r\n250 2.1.5") && replies.contains("\r\n354 "))
        #expect(harness.delivery.lookups == 0)
        try await harness.send("hi\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<carol@example.test>\r\n")
        _ = try await harness.waitFor("550 5.1.1")
        #expect(harness.delivery.lookups == 1)
        #expect(harness.delivery.stored.first?.recipients == ["bob@example.test"])
    }

    /// Backpressure in a message: past the handler's limit of bytes not yet written, it asks for no more
    /// input, and asks again once the store has written them.
    @Test func readsAreHeldWhileMessageBytesWaitForTheStore() async throws {
        let (gate, open) = AsyncStream<Void>.makeStream()
        var settings = SMTPServerHandler.Settings()
        settings.unwrittenMessageBytes = 1_000
        let harness = try await HandlerHarness(delivery: MemoryDelivery(writeGate: gate), settings: settings)
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        _ = try await harness.waitFor("354 ")
        try await harness.send(
            String(repeating: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n", count: 50)
        )
        let before = try await harness.readCount()
        harness.channel.read()
        #expect(try await harness.readCount() == before)
        // Each write waits for one element: enough for every piece the session handed over.
        for _ in 0..<200 { open.yield() }
        // A minute at most: the store's writes run on Swift's shared threads, which a full test run keeps busy.
        for _ in 0..<6_000 where try await harness.readCount() == before {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await harness.readCount() == before + 1)
        try await harness.send(".\r\n")
        _ = try await harness.waitFor("250 2.0.0 OK")
        #expect(harness.delivery.stored.first?.bytes.count ?? 0 > 50 * 64)
    }

    /// A client that leaves in the middle of DATA: a small message was never begun in the store (its
    /// pieces waited for its end), a big one, begun as it streamed, is discarded.
    @Test func aMessageCutOffByTheClientLeavesNothing() async throws {
        for (lines, begun) in [(10, 0), (2_000, 1)] {
            let harness = try await HandlerHarness(
                configuration: SessionHarness.configuration(maximumMessageSize: 1_000_000)
            )
            try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
            _ = try await harness.waitFor("354 ")
            try await harness.send(
                String(repeating: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n", count: lines)
            )
            // The big one streams: wait (a minute at most, on a busy machine) for the store to have begun it.
            let deadline = ContinuousClock.now + .seconds(60)
            while harness.delivery.begun < begun, ContinuousClock.now < deadline {
                // The drain runs on the channel's loop, which a testing loop turns only when asked.
                await harness.channel.testingEventLoop.run()
                try await Task.sleep(for: .milliseconds(10))
            }
            try await harness.channel.close()
            while harness.delivery.discarded < begun, ContinuousClock.now < deadline {
                await harness.channel.testingEventLoop.run()
                try await Task.sleep(for: .milliseconds(10))
            }
            // Nothing to wait for when nothing should happen: a moment for a wrong begin to show.
            if begun == 0 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(harness.delivery.begun == begun, "\(lines) lines")
            #expect(harness.delivery.discarded == begun, "\(lines) lines")
            #expect(harness.delivery.stored.isEmpty)
        }
    }

    @Test func storeFailureAnswers451() async throws {
        let harness = try await HandlerHarness(delivery: MemoryDelivery(failure: .temporaryFailure("disk")))
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        _ = try await harness.waitFor("354 ")
        try await harness.send("hi\r\n.\r\n")
        _ = try await harness.waitFor("451 4.3.0")
        #expect(harness.delivery.stored.isEmpty)
        #expect(harness.delivery.discarded == 1)
    }

    @Test func fullDiskAnswers452() async throws {
        let harness = try await HandlerHarness(delivery: MemoryDelivery(failure: .insufficientStorage))
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nBDAT 2 LAST\r\nhi")
        _ = try await harness.waitFor("452 4.3.1")
    }

    @Test func policyRefusalAnswers550AtTheEndOfData() async throws {
        let harness = try await HandlerHarness(delivery: MemoryDelivery(failure: .refused("DMARC says reject")))
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        _ = try await harness.waitFor("354 ")
        try await harness.send("Subject: x\r\n\r\nhi\r\n.\r\n")
        _ = try await harness.waitFor("550 5.7.1 DMARC says reject\r\n")
        #expect(harness.delivery.stored.isEmpty)
        #expect(harness.delivery.discarded == 1)
    }

    @Test func unknownRecipient() async throws {
        let harness = try await HandlerHarness()
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<nobody@example.test>\r\n")
        _ = try await harness.waitFor("550 5.1.1 No such user here\r\n")
    }

    @Test func overlongLines() async throws {
        let harness = try await HandlerHarness()
        try await harness.send("NOOP " + String(repeating: "x", count: 600) + "\r\n")
        _ = try await harness.waitFor("500 5.5.2 Line too long\r\n")
        try await harness.send("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        _ = try await harness.waitFor("354 ")
        try await harness.send(String(repeating: "y", count: 3000) + "\r\nok\r\n.\r\n")
        _ = try await harness.waitFor("500 5.5.6")
        #expect(harness.delivery.stored.isEmpty)
    }

    @Test func authWithDelayedFailure() async throws {
        let configuration = SessionHarness.configuration(allowPlaintextAuth: true)
        let harness = try await HandlerHarness(configuration: configuration)
        try await harness.send("EHLO c\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw==\r\n")
        _ = try await harness.waitFor("535 5.7.8")
        try await harness.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=\r\n")
        _ = try await harness.waitFor("235 2.7.0")
    }

    @Test func quitCloses() async throws {
        let harness = try await HandlerHarness()
        try await harness.send("QUIT\r\n")
        _ = try await harness.waitFor("221 2.0.0")
        try await harness.channel.closeFuture.get()
    }

    @Test func idleTimeout() async throws {
        let settings = SMTPServerHandler.Settings(idleTimeout: .seconds(300))
        let harness = try await HandlerHarness(settings: settings)
        _ = try await harness.output()
        await harness.channel.testingEventLoop.advanceTime(by: .seconds(299))
        #expect(try await harness.output() == "")
        await harness.channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(try await harness.output() == "421 4.4.2 Timeout; closing connection\r\n")
        try await harness.channel.closeFuture.get()
    }

    @Test func startTLSInsertsTLSAndDropsPipelinedCommands() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tls = try TestTLS.make(in: directory)
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
            )
        )
        let harness = try await HandlerHarness(tlsContext: context)
        _ = try await harness.output()
        try await harness.send("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x.test>\r\n")
        let text = try await harness.output()
        #expect(text.hasSuffix("250 HELP\r\n220 2.0.0 Ready to start TLS\r\n"))
        _ = try await harness.channel.pipeline.handler(type: NIOSSLServerHandler.self).get()
    }
}
