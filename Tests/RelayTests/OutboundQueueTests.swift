import Foundation
import MailStore
import MailTestSupport
import Testing

/// The queue on disk: durable acceptance, ids that cannot leave the folder, state changes under the lock.
@Suite(.offThePool) struct OutboundQueueTests {
    static func envelope(_ id: String = OutboundQueue.newID()) -> QueueEnvelope {
        QueueEnvelope(id: id, sender: "a@a.test", recipients: [QueuedRecipient(address: "b@b.test")])
    }

    @Test func aQueuedMessageHasItsBytesAndEnvelopeUntilItIsDone() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            let envelope = Self.envelope()
            try store.queue.enqueue(bytes: Array("Subject: x\r\n\r\nbody\r\n".utf8), envelope: envelope)
            #expect(try store.queue.message(envelope.id) == Array("Subject: x\r\n\r\nbody\r\n".utf8))
            #expect(try store.queue.envelope(envelope.id)?.size == 20)
            // A hold made meanwhile survives the runner's update (read again under the lock).
            try store.queue.update(envelope.id) { $0.held = true }
            try store.queue.update(envelope.id) { $0.attempts += 1 }
            #expect(try store.queue.envelope(envelope.id)?.held == true)
            try store.queue.update(envelope.id) { $0.recipients[0].status = .delivered }
            #expect(try store.queue.envelope(envelope.id) == nil)
            #expect(!FileManager.default.fileExists(atPath: store.queue.messagePath(envelope.id)))
        }
    }

    @Test(arguments: ["../x", "a/b", "", "ABC", "a.b", String(repeating: "a", count: 65)])
    func idsThatCouldNameAnotherFileAreRefused(id: String) {
        #expect(!OutboundQueue.isValidID(id))
    }

    @Test func newIDsAreValidSortableAndUnique() {
        let ids = (0..<1000).map { _ in OutboundQueue.newID(now: Date(timeIntervalSince1970: 1_800_000_000)) }
        #expect(ids.allSatisfy(OutboundQueue.isValidID))
        #expect(Set(ids).count == ids.count)
        #expect(OutboundQueue.newID(now: Date(timeIntervalSince1970: 1_800_000_001)) > ids.max()!)
    }

    @Test func anUnreadableEnvelopeIsSkippedNotFatal() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            let good = Self.envelope()
            try store.queue.enqueue(bytes: Array("x\r\n".utf8), envelope: good)
            try Data("{ not json".utf8).write(to: URL(fileURLWithPath: store.queue.path + "/envelopes/zzzz"))
            #expect(try store.queue.list().map(\.id) == [good.id])
        }
    }

    @Test func aMessageFileWithoutEnvelopeIsSweptOnlyWhenOld() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            try store.queue.enqueue(bytes: Array("x\r\n".utf8), envelope: Self.envelope("keep"))
            let orphan = store.queue.path + "/messages/orphan"
            try Data("y".utf8).write(to: URL(fileURLWithPath: orphan))
            store.queue.sweep(olderThan: 3600)
            #expect(FileManager.default.fileExists(atPath: orphan))
            store.queue.sweep(olderThan: -1)
            #expect(!FileManager.default.fileExists(atPath: orphan))
            #expect(FileManager.default.fileExists(atPath: store.queue.messagePath("keep")))
        }
    }
}
