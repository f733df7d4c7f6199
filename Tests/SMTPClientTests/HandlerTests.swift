import Logging
import MailTestSupport
import NIOCore
import NIOEmbedded
import NIOSSL
import SMTPCore
import Testing

@testable import SMTPClient

/// The channel handler on an EmbeddedChannel: framing limits, STARTTLS injection, timeouts.
@Suite(.offThePool) struct HandlerTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let ready: EventLoopPromise<SMTPExtensions>

        init(tls: SMTPClient.TLSMode = .none, commandTimeout: TimeAmount = .seconds(300)) throws {
            ready = channel.eventLoop.makePromise()
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            let handler = SMTPClientHandler(
                configuration: .init(
                    localHostname: "client.test",
                    tls: tls,
                    credentials: nil,
                    allowsAuthenticationWithoutTLS: false
                ),
                useAddressLiteral: false,
                startTLSContext: context,
                serverHostname: "server.test",
                commandTimeout: commandTimeout,
                dataTimeout: .seconds(600),
                readyPromise: ready,
                logger: Logger(label: "test")
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        }

        func server(_ text: String) throws { try channel.writeInbound(ByteBuffer(string: text)) }

        func client() throws -> String? { try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } }

        var outcome: Result<SMTPExtensions, any Error>? {
            var result: Result<SMTPExtensions, any Error>?
            ready.futureResult.whenComplete { result = $0 }
            return result
        }

        var failure: SMTPClientError? {
            if case .failure(let error) = outcome { return error as? SMTPClientError }
            return nil
        }
    }

    @Test func greetingEHLOAndReady() throws {
        let harness = try Harness()
        try harness.server("220 server.test ESMTP\r\n")
        #expect(try harness.client() == "EHLO client.test\r\n")
        try harness.server("250-server.test\r\n250 PIPELINING\r\n")
        #expect(try harness.outcome?.get().pipelining == true)
    }

    @Test func replyLineCountLimitAtNAndNPlusOne() throws {
        let atLimit = try Harness()
        try atLimit.server("220 x\r\n")
        let lines = SMTPClientDefaults.maximumReplyLines
        try atLimit.server(String(repeating: "250-X\r\n", count: lines - 1) + "250 Y\r\n")
        #expect(try atLimit.outcome?.get() != nil)

        let over = try Harness()
        try over.server("220 x\r\n")
        try over.server(String(repeating: "250-X\r\n", count: lines) + "250 Y\r\n")
        #expect(over.failure == .malformedReply("a reply has more than \(lines) lines"))
    }

    @Test func replyLineLengthLimit() throws {
        let harness = try Harness()
        try harness.server("220 " + String(repeating: "x", count: SMTPClientDefaults.maximumReplyLineLength) + "\r\n")
        #expect(
            harness.failure
                == .malformedReply("a reply line is longer than \(SMTPClientDefaults.maximumReplyLineLength) octets")
        )
    }

    @Test func bytesAfterTheSTARTTLSReplyAreAnInjectionAndStopTheSession() throws {
        let harness = try Harness(tls: .startTLS(.required))
        try harness.server("220 x\r\n")
        _ = try harness.client()
        try harness.server("250-x\r\n250 STARTTLS\r\n")
        #expect(try harness.client() == "STARTTLS\r\n")
        try harness.server("220 go ahead\r\n250-injected\r\n")
        #expect(harness.failure == .dataBeforeTLS)
        #expect(!harness.channel.isActive)
    }

    @Test func silentServerTimesOut() throws {
        let harness = try Harness(commandTimeout: .seconds(30))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(harness.outcome == nil)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(harness.failure == .timeout)
    }

    @Test func malformedReplyStopsTheSession() throws {
        let harness = try Harness()
        try harness.server("hello there\r\n")
        #expect(harness.failure == .malformedReply("malformed SMTP reply line: hello there"))
    }
}
