import Foundation
import Logging
import MailAuth
import MailStore

/// Works the outbound queue: picks the messages that are due, delivers their recipients (local ones into
/// the store, others through `RemoteDelivery`), records each outcome durably, reschedules what was
/// deferred, and tells senders what failed, what is delayed and — when they asked — what was delivered.
///
/// Dispatch is continuous: up to `settings.connections` attempts run at once, and the moment one is
/// recorded the next due message starts in its slot. Which message is due next comes from an in-memory
/// `QueueIndex`, filled from the queue folder at start and every `rescanInterval` (so that `correo queue`
/// and other processes take effect) and told at once of each message the SMTP server queues.
public actor QueueRunner {
    let store: MailStore
    /// Where local recipients' copies and notifications to local senders go: `store`, or the
    /// PostgreSQL store of `correo serve --store` (the queue itself stays in `store`).
    let users: any LocalDelivery
    /// The newsgroups whose addresses archive mail: `store`'s, or the PostgreSQL store's.
    let newsgroups: any NewsgroupStore
    /// The outbound queue: `store.queue`, or the PostgreSQL store's, which every node works.
    let queue: any OutboundQueueStore
    /// This runner's name in the claims it takes on queued messages (other nodes skip what it holds).
    let worker: String
    let settings: RelaySettings
    /// The domains delivered into the store; a reload (SIGHUP) may change them with `setLocalDomains`.
    private(set) var localDomains: Set<String>
    let remote: RemoteDelivery
    let destinations: DestinationLimiter
    let logger: Logger
    let clock: @Sendable () -> Date
    /// The mailbox a local address is delivered to, nil when it has none (the SMTP server's rule, so
    /// that queued and direct local mail go to the same places).
    let localMailbox: @Sendable (String) async throws -> String?
    /// The DKIM keys of STORAGE/dkim/, read again when they change.
    let dkim: DKIMKeyring
    /// MTA-STS and TLS-RPT, when on.
    let security: OutboundTransportSecurity?
    /// The last UTC day for which the TLS-RPT reports were looked at.
    var tlsReportsCheckedDay: String?
    /// Queued messages that wait, by when each is due.
    private var index = QueueIndex()
    /// Attempts under way, by message id: never two at once for one message.
    private var running: [String: Task<Void, Never>] = [:]
    /// Set while `run()` works the queue: a recorded attempt then starts the next due message.
    private var dispatching = false
    /// Set by `nudge()`: read the queue folder again now.
    private var rescanRequested = false
    /// Set when the runner's loop should look again before its wait is over.
    private var woken = false
    /// While a rescan reads the folder: what the index was told meanwhile (a message queued, an attempt
    /// recorded), which the listing, read before, may not show; applied over it.
    private var toldDuringRescan: [(id: String, due: Date?)]?

    /// A runner over `store`'s queue; `users`, `newsgroups` and `localMailbox` default to the store's and `dkim`
    /// to STORAGE/dkim/.
    public init(
        store: MailStore,
        users: (any LocalDelivery)? = nil,
        newsgroups: (any NewsgroupStore)? = nil,
        queue: (any OutboundQueueStore)? = nil,
        settings: RelaySettings,
        resolver: any RelayResolver,
        localDomains: [String],
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() },
        localMailbox: (@Sendable (String) async throws -> String?)? = nil,
        dkim: DKIMKeyring? = nil,
        security: OutboundTransportSecurity? = nil
    ) {
        self.store = store
        let users = users ?? store
        self.users = users
        self.newsgroups = newsgroups ?? store
        self.queue = queue ?? store.queue
        worker = "\(settings.hostname) \(getpid()) \(UUID().uuidString.prefix(8))"
        self.settings = settings
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.remote = RemoteDelivery(
            settings: settings,
            resolver: resolver,
            logger: logger,
            security: security,
            clock: clock
        )
        self.security = security
        self.destinations = DestinationLimiter(limit: settings.connectionsPerDestination)
        self.logger = logger
        self.clock = clock
        self.localMailbox =
            localMailbox ?? { address in try await users.acceptsMail(for: address) ? address.lowercased() : nil }
        self.dkim = dkim ?? DKIMKeyring(folder: store.root.appendingPathComponent("dkim", isDirectory: true))
    }

    /// The local domains from now on (a SIGHUP reload): attempts that start afterwards deliver their recipients
    /// into the store; an attempt under way finishes with the domains it started with.
    public func setLocalDomains(_ domains: [String]) {
        localDomains = Set(domains.map { $0.lowercased() })
    }

    /// Runs until the task is cancelled, then lets the attempts under way record their outcome.
    public func run() async {
        await queue.sweep()
        dispatching = true
        await rescan()
        var lastScan = ContinuousClock.now
        while !Task.isCancelled {
            if rescanRequested || ContinuousClock.now - lastScan >= .seconds(settings.rescanInterval) {
                rescanRequested = false
                await rescan()
                lastScan = ContinuousClock.now
            }
            startDue()
            await sendTLSReportsIfDue()
            await remote.sessions.sweep()
            let untilDue = index.nextDue().map { $0.timeIntervalSince(clock()) } ?? .infinity
            let sinceScan = ContinuousClock.now - lastScan
            let untilScan = settings.rescanInterval - Double(sinceScan.components.seconds)
            await sleep(seconds: max(0.05, min(untilDue, untilScan)))
        }
        dispatching = false
        let underWay = Array(running.values)
        for task in underWay { task.cancel() }
        for task in underWay { await task.value }
        await security?.ledger?.flush()  // the TLS-RPT counts of the attempts just recorded
        await remote.sessions.closeAll()
    }

    /// Asks the runner to read the queue folder again now (`correo queue flush` and the like).
    public func nudge() {
        rescanRequested = true
        woken = true
    }

    /// Tells the runner that message `id` was just queued: it is due now, and starts at once when a
    /// slot is free.
    public func enqueued(_ id: String) {
        guard running[id] == nil else { return }
        tell(id, dueAt: clock())
        if dispatching { startDue() }
    }

    /// Waits `seconds`, or less when woken.
    ///
    /// It looks at the flag every 50 ms rather than parking on a continuation: nothing can then be left waiting for a
    /// wake-up that came before it. Deliveries do not wait for this loop (a recorded attempt starts the next one
    /// itself); only rescans and retry times do.
    private func sleep(seconds: TimeInterval) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(min(seconds, 86_400) * 1000))
        while !woken, !Task.isCancelled, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        woken = false
    }

    /// Reads the queue folder again: the index becomes what is on disk, less what is running or held.
    ///
    /// The listing takes a while (an await: other calls run meanwhile), so what the index was told during
    /// it is applied again over it; a message queued while its folder was read would otherwise wait for
    /// the next rescan.
    private func rescan() async {
        toldDuringRescan = []
        defer { toldDuringRescan = nil }
        do {
            let waiting = try await queue.envelopes().filter { !$0.held && running[$0.id] == nil }
            index.replaceAll(with: waiting.map { (id: $0.id, due: $0.nextAttempt) })
            for told in toldDuringRescan ?? [] where running[told.id] == nil { index.set(told.id, dueAt: told.due) }
        } catch {
            logger.error("cannot read the queue", metadata: ["error": "\(error)"])
        }
    }

    /// Tells the index when `id` is due (nil: it no longer waits), and keeps that for a rescan under way.
    private func tell(_ id: String, dueAt due: Date?) {
        index.set(id, dueAt: due)
        toldDuringRescan?.append((id, due))
    }

    /// Fills the free slots with the messages due now, earliest first.
    private func startDue() {
        let free = settings.connections - running.count
        guard free > 0 else { return }
        for id in index.takeDue(now: clock(), limit: free) where running[id] == nil {
            running[id] = Task { await self.attempt(id) }
        }
    }

    /// One pass, for tests and tools: every message due now, up to `settings.connections` at once, and
    /// no other until they are all recorded.
    ///
    /// Returns when the earliest message still queued is due.
    public func pass() async -> Date? {
        await rescan()
        let due = index.takeDue(now: clock(), limit: .max).filter { running[$0] == nil }
        await withTaskGroup(of: Void.self) { group in
            var started = 0
            for id in due {
                if started >= max(1, settings.connections) { await group.next() }
                group.addTask { await self.attempt(id) }
                started += 1
            }
        }
        await rescan()
        return index.nextDue()
    }

    /// Works message `id` once, if it is still queued, not held and due (the disk is the truth: a
    /// `correo queue hold` or `delete` may have come since it was indexed), and records where it stands.
    private func attempt(_ id: String) async {
        var next: Date?
        do {
            if let envelope = try await queue.envelope(id), !envelope.held {
                if envelope.nextAttempt > clock() {
                    next = envelope.nextAttempt
                } else if try await queue.claim(id, worker: worker, until: clock() + RelayDefaults.claimLease) {
                    // Read again under the claim: another node may have just recorded an attempt.
                    if let claimed = try await queue.envelope(id), !claimed.held {
                        if claimed.nextAttempt > clock() {
                            next = claimed.nextAttempt
                        } else if let updated = await process(claimed), !updated.isFinished, !updated.held {
                            next = updated.nextAttempt
                        }
                    }
                    try? await queue.release(id, worker: worker)
                } else {
                    // Another node is delivering it: look again once its claim could have run out.
                    next = clock() + RelayDefaults.claimLease
                }
            }
        } catch {
            logger.error("unreadable queue envelope", metadata: ["queue_id": "\(id)", "error": "\(error)"])
        }
        running[id] = nil
        tell(id, dueAt: next)
        if dispatching { startDue() }
    }
}
