import Foundation
import Logging
import MailStorage
import MailStore
import MailTestSupport
import Testing

@testable import Relay

/// A rescan of the queue folder and the messages queued while it reads: the listing, taken before they
/// came, must not push them out of the runner's index.
@Suite(.offThePool) struct QueueRunnerRescanTests {
    /// The store's queue, whose first listing is read at once but handed back only when the test opens
    /// the gate: what the test queues meanwhile is not in it.
    struct HeldListing: OutboundQueueStore {
        final class Gate: @unchecked Sendable {
            private let lock = NSLock()
            private var calls = 0
            private var listedFlag = false
            private var openFlag = false
            var listed: Bool { lock.withLock { listedFlag } }
            var isOpen: Bool { lock.withLock { openFlag } }
            func open() { lock.withLock { openFlag = true } }
            /// Whether this call is the first (the held one), noting that its listing is read.
            func firstListed() -> Bool {
                lock.withLock {
                    calls += 1
                    if calls == 1 { listedFlag = true }
                    return calls == 1
                }
            }
        }

        let base: any OutboundQueueStore
        let gate = Gate()

        func envelopes() async throws -> [QueueEnvelope] {
            let listing = try await base.envelopes()
            guard gate.firstListed() else { return listing }
            // A minute at most: a full test run on two cores can hold the test's own task back for seconds.
            for _ in 0..<6_000 where !gate.isOpen { try await Task.sleep(for: .milliseconds(10)) }
            return listing
        }
        func enqueue(bytes: [UInt8], envelope: QueueEnvelope) async throws -> QueueEnvelope {
            try await base.enqueue(bytes: bytes, envelope: envelope)
        }
        func envelope(_ id: String) async throws -> QueueEnvelope? { try await base.envelope(id) }
        func message(_ id: String) async throws -> [UInt8] { try await base.message(id) }
        func update<Result: Sendable>(
            _ id: String,
            removeWhenFinished: Bool,
            _ body: @Sendable (inout QueueEnvelope) -> Result
        ) async throws -> (envelope: QueueEnvelope, result: Result)? {
            try await base.update(id, removeWhenFinished: removeWhenFinished, body)
        }
        func remove(_ id: String) async throws { try await base.remove(id) }
        func claim(_ id: String, worker: String, until: Date) async throws -> Bool {
            try await base.claim(id, worker: worker, until: until)
        }
        func release(_ id: String, worker: String) async throws { try await base.release(id, worker: worker) }
        func sweep() async { await base.sweep() }
    }

    /// A message queued while the folder is read is sent when a slot frees, not at the next rescan.
    ///
    /// One slot: the first message queued during the listing starts at once, the second waits in the
    /// index; the listing, handed back after both, holds neither. The next rescan is ten minutes away.
    @Test func messagesQueuedWhileTheFolderIsReadAreNotDroppedByTheListing() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            let outdir = directory.url.appendingPathComponent("sink")
            try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
            let sink = try SMTPSink(outdir: outdir)
            defer { sink.stop() }
            let queue = HeldListing(base: store.queue)
            var logger = Logger(label: "test.relay")
            logger.logLevel = .error
            let runner = QueueRunner(
                store: store,
                queue: queue,
                settings: RelaySettings(hostname: "mx.a.test", mxPort: sink.port, connections: 1, rescanInterval: 600),
                resolver: TableResolver(
                    mx: ["b.test": .records([.init(preference: 10, host: "mx.b.test")])],
                    hosts: ["mx.b.test": .records(["127.0.0.1"])]
                ),
                localDomains: ["a.test"],
                logger: logger
            )
            let task = Task { await runner.run() }
            defer { task.cancel() }
            for _ in 0..<6_000 where !queue.gate.listed { try await Task.sleep(for: .milliseconds(10)) }
            #expect(queue.gate.listed)
            for recipient in ["first@b.test", "second@b.test"] {
                let envelope = QueueEnvelope(
                    id: OutboundQueue.newID(),
                    sender: "alice@a.test",
                    recipients: [QueuedRecipient(address: recipient)],
                    arrival: Date()
                )
                _ = try await queue.enqueue(bytes: QueueRunnerTests.message(to: recipient), envelope: envelope)
                await runner.enqueued(envelope.id)
            }
            queue.gate.open()
            // Half the 600 s between folder reads: only the messages told during the listing meet it,
            // however long the whole suite keeps the runner's tasks waiting for a pool thread.
            let deadline = ContinuousClock.now + .seconds(300)
            while ContinuousClock.now < deadline, try !store.queue.list().isEmpty {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try store.queue.list().isEmpty)
            #expect(sink.messages(for: "first@b.test").count == 1)
            #expect(sink.messages(for: "second@b.test").count == 1)
        }
    }
}
