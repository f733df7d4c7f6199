import Foundation
import Logging
import MailStore
import MailTestSupport
import Testing

@testable import Relay

/// A fixed DNS for the runner's tests: the real resolver is tested in DNSTests and in the lab.
struct TableResolver: RelayResolver {
    var mx: [String: LookupResult<[MailExchanger]>] = [:]
    var hosts: [String: LookupResult<[String]>] = [:]

    func mailExchangers(of domain: String) async -> LookupResult<[MailExchanger]> { mx[domain] ?? .noSuchDomain }
    func addresses(of host: String) async -> LookupResult<[String]> { hosts[host] ?? .noSuchDomain }
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// The queue runner against a real SMTP peer (aiosmtpd on 127.0.0.1) and a real Maildir store.
@Suite(.offThePool) struct QueueRunnerTests {
    static func message(to: String) -> [UInt8] {
        Array(
            "From: Alice <alice@a.test>\r\nTo: \(to)\r\nSubject: relay test\r\nMessage-ID: <1@a.test>\r\n\r\nHello.\r\n"
                .utf8
        )
    }

    static func runner(store: MailStore, port: Int, resolver: TableResolver, clock: TestClock) -> QueueRunner {
        var logger = Logger(label: "test.relay")
        logger.logLevel = .error
        return QueueRunner(
            store: store,
            settings: RelaySettings(hostname: "mx.a.test", mxPort: port),
            resolver: resolver,
            localDomains: ["a.test"],
            logger: logger,
            clock: { clock.now }
        )
    }

    static func inbox(_ store: MailStore, _ user: String) throws -> [String] {
        let new = store.root.appendingPathComponent(user).appendingPathComponent("new")
        return try FileManager.default.contentsOfDirectory(atPath: new.path).map {
            String(decoding: try Data(contentsOf: new.appendingPathComponent($0)), as: UTF8.self)
        }
    }

    @Test func delivers_bounces_and_retries_recipient_by_recipient() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            try store.users.add("alice@a.test", password: "secret", scheme: .plain)
            try store.createUserMaildir("alice@a.test")
            let sink = try SMTPSink(
                outdir: try Self.folder(directory, "sink"),
                reject: ["bad@b.test": "550 5.1.1 No such user"],
                rejectOnce: ["busy@b.test": "450 4.2.1 Try again later"]
            )
            defer { sink.stop() }
            let clock = TestClock()
            let resolver = TableResolver(
                mx: ["b.test": .records([.init(preference: 10, host: "mx.b.test")])],
                hosts: ["mx.b.test": .records(["127.0.0.1"])]
            )
            let envelope = QueueEnvelope(
                id: OutboundQueue.newID(now: clock.now),
                sender: "alice@a.test",
                recipients: ["bob@b.test", "bad@b.test", "busy@b.test"].map { QueuedRecipient(address: $0) },
                arrival: clock.now
            )
            try store.queue.enqueue(bytes: Self.message(to: "bob@b.test"), envelope: envelope)
            let runner = Self.runner(store: store, port: sink.port, resolver: resolver, clock: clock)

            _ = await runner.pass()
            #expect(sink.messages(for: "bob@b.test").count == 1)
            #expect(sink.messages(for: "busy@b.test").isEmpty)
            let afterFirst = try #require(try store.queue.envelope(envelope.id))
            #expect(afterFirst.attempts == 1)
            // aiosmtpd offers no DSN extension: "relayed" (RFC 3461 §5.2.2), not "delivered".
            #expect(afterFirst.recipients.map(\.status) == [.relayed, .failed, .pending])
            #expect(afterFirst.nextAttempt == clock.now.addingTimeInterval(300))
            // The failure went back to alice as an RFC 3464 report, at once.
            let bounces = try Self.inbox(store, "alice@a.test")
            try #require(bounces.count == 1)
            #expect(bounces[0].contains("Content-Type: multipart/report; report-type=delivery-status;"))
            #expect(bounces[0].contains("Final-Recipient: rfc822; bad@b.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
            #expect(bounces[0].contains("Diagnostic-Code: smtp; 550 5.1.1 No such user"))
            #expect(!bounces[0].contains("Final-Recipient: rfc822; bob@b.test"))

            // Not due yet: nothing happens.
            _ = await runner.pass()
            #expect(sink.messages(for: "busy@b.test").isEmpty)
            // Due: the deferred recipient is tried alone, once, and the message leaves the queue.
            clock.advance(301)
            _ = await runner.pass()
            #expect(sink.messages(for: "busy@b.test").count == 1)
            #expect(sink.messages(for: "bob@b.test").count == 1)
            #expect(try store.queue.envelope(envelope.id) == nil)
            #expect(try store.queue.list().isEmpty)
        }
    }

    /// Issue 14: a queued message for a newsgroup's address is archived in the group, not made a user.
    @Test func aGroupAddressIsArchivedInTheGroup() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            try await store.addNewsgroup(Newsgroup(name: "lists.dev", address: "dev@a.test"))
            let clock = TestClock()
            let envelope = QueueEnvelope(
                id: OutboundQueue.newID(now: clock.now),
                sender: "alice@a.test",
                recipients: [QueuedRecipient(address: "dev@a.test")],
                arrival: clock.now
            )
            try store.queue.enqueue(bytes: Self.message(to: "dev@a.test"), envelope: envelope)
            _ = await Self.runner(store: store, port: 9, resolver: TableResolver(), clock: clock).pass()
            #expect(try store.queue.list().isEmpty)
            let group = try await store.newsgroupMailbox("lists.dev")
            try await group.synchronize()
            #expect(await group.snapshot().count == 1)
            #expect(!FileManager.default.fileExists(atPath: store.root.appendingPathComponent("dev@a.test").path))
        }
    }

    @Test func nullMXAndUnknownDomainsBounceAtOnceAndDNSTroubleWaits() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            try store.users.add("alice@a.test", password: "secret", scheme: .plain)
            try store.createUserMaildir("alice@a.test")
            let clock = TestClock()
            let resolver = TableResolver(mx: [
                "nullmx.test": .records([.init(preference: 0, host: ".")]),
                "flaky.test": .temporaryFailure("SERVFAIL"),
            ])
            let envelope = QueueEnvelope(
                id: OutboundQueue.newID(now: clock.now),
                sender: "alice@a.test",
                recipients: ["x@nullmx.test", "y@nowhere.test", "z@flaky.test"].map { QueuedRecipient(address: $0) },
                arrival: clock.now
            )
            try store.queue.enqueue(bytes: Self.message(to: "x@nullmx.test"), envelope: envelope)
            _ = await Self.runner(store: store, port: 1, resolver: resolver, clock: clock).pass()
            let after = try #require(try store.queue.envelope(envelope.id))
            #expect(after.recipients.map(\.status) == [.failed, .failed, .pending])
            let report = try #require(try Self.inbox(store, "alice@a.test").first)
            #expect(report.contains("Final-Recipient: rfc822; x@nullmx.test\r\nAction: failed\r\nStatus: 5.1.10\r\n"))
            #expect(report.contains("Final-Recipient: rfc822; y@nowhere.test\r\nAction: failed\r\nStatus: 5.1.2\r\n"))
            #expect(!report.contains("z@flaky.test"))
        }
    }

    @Test func aDelayIsReportedOnceAndAnExpiredMessageBounces() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            try store.users.add("alice@a.test", password: "secret", scheme: .plain)
            try store.createUserMaildir("alice@a.test")
            let clock = TestClock()
            let resolver = TableResolver(
                mx: ["down.test": .records([.init(preference: 10, host: "mx.down.test")])],
                hosts: ["mx.down.test": .records(["127.0.0.1"])]
            )
            let port = 1  // nothing listens on 127.0.0.1:1: every attempt is refused
            let envelope = QueueEnvelope(
                id: OutboundQueue.newID(now: clock.now),
                sender: "alice@a.test",
                recipients: [QueuedRecipient(address: "carol@down.test")],
                arrival: clock.now
            )
            try store.queue.enqueue(bytes: Self.message(to: "carol@down.test"), envelope: envelope)
            let runner = Self.runner(store: store, port: port, resolver: resolver, clock: clock)
            _ = await runner.pass()
            #expect(try Self.inbox(store, "alice@a.test").isEmpty == true)
            // Four hours later: one delay report, not two.
            clock.advance(4 * 3600)
            _ = await runner.pass()
            clock.advance(3600)
            _ = await runner.pass()
            let reports = try Self.inbox(store, "alice@a.test")
            try #require(reports.count == 1)
            #expect(reports[0].contains("Subject: Delayed Mail (still being retried)"))
            #expect(reports[0].contains("Action: delayed"))
            #expect(reports[0].contains("Will-Retry-Until: "))
            // Five days after arrival: given up, bounced, gone from the queue.
            clock.advance(5 * 86400)
            _ = await runner.pass()
            let all = try Self.inbox(store, "alice@a.test")
            #expect(all.count == 2)
            #expect(all.contains { $0.contains("Action: failed\r\nStatus: 4.4.7") })
            #expect(try store.queue.list().isEmpty)
        }
    }

    @Test func theNullSenderNeverGetsANotification() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            let clock = TestClock()
            let envelope = QueueEnvelope(
                id: OutboundQueue.newID(now: clock.now),
                sender: "",
                recipients: [QueuedRecipient(address: "x@nowhere.test")],
                arrival: clock.now
            )
            try store.queue.enqueue(bytes: Self.message(to: "x@nowhere.test"), envelope: envelope)
            _ = await Self.runner(store: store, port: 1, resolver: TableResolver(), clock: clock).pass()
            // Failed, removed, and no new message queued to anyone.
            #expect(try store.queue.list().isEmpty)
        }
    }

    /// `run()` with one slot: a queued message starts at once (no wait for the folder's next read), and
    /// each recorded attempt starts the next one, so a backlog drains without pauses between messages.
    @Test func runStartsQueuedMailAtOnceAndRefillsTheSlotAsEachAttemptEnds() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            let sink = try SMTPSink(outdir: try Self.folder(directory, "sink"))
            defer { sink.stop() }
            let resolver = TableResolver(
                mx: ["b.test": .records([.init(preference: 10, host: "mx.b.test")])],
                hosts: ["mx.b.test": .records(["127.0.0.1"])]
            )
            var logger = Logger(label: "test.relay")
            logger.logLevel = .error
            // One slot, and a folder read only every 10 minutes: only continuous dispatch delivers
            // these within the test's bound.
            // A busy machine may make an attempt fail (a slow sink): a retry after a second keeps the test
            // about dispatch, and the replies are printed if anything is left.
            let settings = RelaySettings(
                hostname: "mx.a.test",
                mxPort: sink.port,
                schedule: RetrySchedule(firstRetry: 1, maximumRetry: 1),
                connections: 1,
                rescanInterval: 600
            )
            let runner = QueueRunner(
                store: store,
                settings: settings,
                resolver: resolver,
                localDomains: ["a.test"],
                logger: logger
            )
            let task = Task { await runner.run() }
            defer { task.cancel() }
            try await Task.sleep(for: .milliseconds(200))  // the first read of the (empty) folder is done
            let count = 12
            for i in 0..<count {
                let envelope = QueueEnvelope(
                    id: OutboundQueue.newID(),
                    sender: "alice@a.test",
                    recipients: [QueuedRecipient(address: "r\(i)@b.test")],
                    arrival: Date()
                )
                try store.queue.enqueue(bytes: Self.message(to: "r\(i)@b.test"), envelope: envelope)
                await runner.enqueued(envelope.id)
            }
            // Alone this drains in 0.6 s; in the whole suite the runner's tasks share Swift's two pool
            // threads with the other tests, and CI runs took 48-70 s (one failed at a 60 s bound). The
            // bound stays half the 600 s between folder reads, so only continuous dispatch meets it.
            let deadline = ContinuousClock.now + .seconds(300)
            while ContinuousClock.now < deadline, try !store.queue.list().isEmpty {
                try await Task.sleep(for: .milliseconds(50))
            }
            let left = try store.queue.list()
            #expect(
                left.isEmpty,
                "\(left.map { "\($0.attempts) attempts: \($0.recipients.map { $0.lastReply ?? "-" })" })"
            )
            for i in 0..<count { #expect(sink.messages(for: "r\(i)@b.test").count == 1) }
        }
    }

    static func folder(_ directory: TemporaryDirectory, _ name: String) throws -> URL {
        let url = directory.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
