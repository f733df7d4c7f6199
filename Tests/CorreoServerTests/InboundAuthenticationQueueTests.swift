import Foundation
import MailStore
import MailTestSupport
import NIOCore
import SMTPCore
import SMTPServer
import Testing

@testable import CorreoServer

/// Issue 13: mail that goes through the outbound queue (`--local-delivery queue`, NOTIFY=SUCCESS) gets the
/// same sender checks as mail delivered at once, before it is queued.
@Suite(.offThePool) struct InboundAuthenticationQueueTests {
    typealias Fixture = InboundAuthenticationTests

    /// Receives `text` as `origin` and queues it for bob; returns the queue's one envelope and message.
    static func queue(
        _ text: String,
        origin: SMTPMessageOrigin,
        in directory: TemporaryDirectory
    ) async throws -> (envelope: QueueEnvelope, message: String)? {
        let store = MailStore(root: directory.url)
        try store.createUserMaildir(Fixture.user)
        let delivery = MailStoreDelivery(store: store, inbound: Fixture.inbound())
        let message = try await delivery.beginMessage()
        try await message.write(ByteBuffer(string: text))
        let envelope = SMTPEnvelope(
            sender: origin.sender,
            recipients: [SMTPEnvelopeRecipient(address: Fixture.user, mailbox: Fixture.user)],
            parameters: SMTPMailParameters(),
            authenticatedUser: origin.authenticatedUser,
            clientAddress: origin.clientAddress
        )
        do {
            _ = try await message.queue(envelope, origin: origin)
        } catch {
            await message.discard()
            throw error
        }
        let queued = try store.queue.list()
        guard queued.count == 1 else { return nil }
        return (queued[0], String(decoding: try store.queue.message(queued[0].id), as: UTF8.self))
    }

    @Test func passingMailIsQueuedWithTheField() async throws {
        try await TemporaryDirectory.with { directory in
            let text = Fixture.message(from: "pass.test")
            let queued = try #require(try await Self.queue(text, origin: Fixture.origin("pass.test"), in: directory))
            #expect(
                queued.message.hasPrefix("Authentication-Results: mx.local.test;\r\n\tspf=pass"),
                "\(queued.message)"
            )
            #expect(queued.message.hasSuffix(text))
            #expect(queued.envelope.localFolder == nil)
            // The received copy was dropped for the checked one.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func rejectPolicyRefusesBeforeAnythingIsQueued() async throws {
        try await TemporaryDirectory.with { directory in
            try await Fixture.expectRejectRefusal {
                _ = try await Self.queue(
                    Fixture.message(from: "reject.test"),
                    origin: Fixture.origin("reject.test"),
                    in: directory
                )
            }
            #expect(try MailStore(root: directory.url).queue.list().isEmpty)
        }
    }

    @Test func quarantinedMailIsQueuedForTheJunkFolder() async throws {
        try await TemporaryDirectory.with { directory in
            let queued = try #require(
                try await Self.queue(
                    Fixture.message(from: "junk.test"),
                    origin: Fixture.origin("junk.test"),
                    in: directory
                )
            )
            #expect(queued.envelope.localFolder == .junk)
            #expect(queued.message.contains("\tdmarc=fail"))
        }
    }

    @Test func authenticatedMailIsQueuedUnchecked() async throws {
        try await TemporaryDirectory.with { directory in
            let text = Fixture.message(from: "reject.test")
            let origin = Fixture.origin("reject.test", user: "alice@reject.test")
            let queued = try #require(try await Self.queue(text, origin: origin, in: directory))
            #expect(queued.message == text)
            #expect(queued.envelope.localFolder == nil)
        }
    }
}
