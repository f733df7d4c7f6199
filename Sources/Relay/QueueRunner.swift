import Foundation
import Logging
import MailStore

/// Works the outbound queue: picks the messages that are due, delivers their recipients (local ones into
/// the store, others through `RemoteDelivery`), records each outcome durably, reschedules what was
/// deferred, and tells senders what failed, what is delayed and — when they asked — what was delivered.
public actor QueueRunner {
    let store: MailStore
    let settings: RelaySettings
    let localDomains: Set<String>
    let remote: RemoteDelivery
    let destinations: DestinationLimiter
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Messages being worked on now (never twice at once).
    private var inFlight: Set<String> = []
    /// Set by `nudge()`, cleared when the runner wakes.
    private var nudged = false

    public init(
        store: MailStore,
        settings: RelaySettings,
        resolver: any RelayResolver,
        localDomains: [String],
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.settings = settings
        self.localDomains = Set(localDomains.map { $0.lowercased() })
        self.remote = RemoteDelivery(settings: settings, resolver: resolver, logger: logger)
        self.destinations = DestinationLimiter(limit: settings.connectionsPerDestination)
        self.logger = logger
        self.clock = clock
    }

    /// Runs until the task is cancelled: a pass over the queue, then a wait until the next message is due,
    /// `nudge()` is called, or the rescan interval passes (other processes queue and change mail too).
    public func run() async {
        store.queue.sweep()
        while !Task.isCancelled {
            let nextDue = await pass()
            await remote.sessions.sweep()
            let wait = min(settings.rescanInterval, max(0.05, nextDue.map { $0.timeIntervalSince(clock()) } ?? .infinity))
            await sleep(seconds: wait)
        }
        await remote.sessions.closeAll()
    }

    /// Asks the runner to look at the queue now (a message was just queued, or `flush`).
    public func nudge() { nudged = true }

    /// Waits `seconds`, or less when nudged. It looks at the flag every 50 ms rather than parking on a
    /// continuation: nothing can then be left waiting for a wake-up that came before it (a nudge costs at
    /// most 50 ms of latency, and a sleeping runner one cheap wake-up 20 times a second).
    private func sleep(seconds: TimeInterval) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !nudged, !Task.isCancelled, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        nudged = false
    }

    /// One pass: every due message, up to `settings.connections` at once. Returns when the earliest
    /// message still queued is due next.
    public func pass() async -> Date? {
        let envelopes: [QueueEnvelope]
        do {
            envelopes = try store.queue.list()
        } catch {
            logger.error("cannot read the queue", metadata: ["error": "\(error)"])
            return nil
        }
        let now = clock()
        let due = envelopes.filter { !$0.held && $0.nextAttempt <= now && !inFlight.contains($0.id) }
        for envelope in due { inFlight.insert(envelope.id) }
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for envelope in due {
                if running >= max(1, settings.connections) {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.process(envelope) }
                running += 1
            }
        }
        for envelope in due { inFlight.remove(envelope.id) }
        let remaining = (try? store.queue.list()) ?? []
        return remaining.filter { !$0.held }.map(\.nextAttempt).min()
    }

    /// One delivery attempt of one message.
    func process(_ envelope: QueueEnvelope) async {
        let now = clock()
        let message: [UInt8]
        do {
            message = try store.queue.message(envelope.id)
        } catch {
            logger.error("queued message unreadable", metadata: ["queue.id": "\(envelope.id)", "error": "\(error)"])
            return
        }
        var outcomes: [RecipientOutcome] = []
        let pending = envelope.pendingRecipients
        if settings.schedule.hasExpired(arrival: envelope.arrival, now: now) {
            outcomes = pending.map {
                RecipientOutcome(
                    address: $0.address, kind: .failed,
                    reply: "4.4.7 delivery time expired; last error: \($0.lastReply ?? "none")", remoteMTA: $0.remoteMTA)
            }
        } else {
            let byDomain = Dictionary(grouping: pending, by: \.domain)
            await withTaskGroup(of: [RecipientOutcome].self) { group in
                for (domain, recipients) in byDomain {
                    group.addTask {
                        if self.localDomains.contains(domain) {
                            // RFC 5321 §4.4: the final delivery adds Return-Path (the SMTP server left it
                            // out of queued messages, which may go on to other hosts).
                            let returnPath = Array("Return-Path: <\(envelope.sender)>\r\n".utf8)
                            return await self.deliverLocally(returnPath + message, recipients: recipients)
                        }
                        // With a smarthost every message goes to one destination: the relay host.
                        let destination = self.settings.smarthost?.host ?? domain
                        await self.destinations.acquire(destination)
                        let outcomes = await self.remote.deliver(
                            message, envelope: envelope, domain: domain, recipients: recipients)
                        await self.destinations.release(destination)
                        return outcomes
                    }
                }
                for await part in group { outcomes += part }
            }
        }
        for outcome in outcomes { log(outcome, envelope: envelope) }
        await record(outcomes, of: envelope, message: message, now: now)
    }

    private func archive(_ message: [UInt8], recipient: String, group: String) async -> RecipientOutcome {
        do {
            _ = try await store.newsgroupMailbox(group).append(bytes: message)
            return RecipientOutcome(address: recipient, kind: .accepted(offersDSN: true), reply: "250 2.0.0 archived in \(group)")
        } catch {
            return RecipientOutcome(address: recipient, kind: .deferred, reply: "4.3.0 \(error)")
        }
    }

    private func deliverLocally(_ message: [UInt8], recipients: [QueuedRecipient]) async -> [RecipientOutcome] {
        var outcomes: [RecipientOutcome] = []
        var mailboxes: [String] = []
        for recipient in recipients {
            if let group = await store.newsgroup(address: recipient.address) {
                // A newsgroup's address (`correo group --address`): the message is archived in the group.
                outcomes.append(await archive(message, recipient: recipient.address, group: group.name))
            } else if await store.userExists(recipient.address) {
                mailboxes.append(recipient.address)
            } else {
                outcomes.append(RecipientOutcome(address: recipient.address, kind: .failed, reply: "550 5.1.1 No such user here"))
            }
        }
        guard !mailboxes.isEmpty else { return outcomes }
        do {
            let results = try await store.deliver(bytes: message, to: mailboxes)
            for result in results {
                outcomes.append(
                    RecipientOutcome(
                        address: result.recipient, kind: result.isDelivered ? .accepted(offersDSN: true) : .deferred,
                        reply: result.isDelivered ? "250 2.0.0 delivered to the mailbox" : "4.3.0 \(result.outcome)"))
            }
        } catch {
            outcomes += mailboxes.map { RecipientOutcome(address: $0, kind: .deferred, reply: "4.3.0 \(error)") }
        }
        return outcomes
    }

    /// Writes the outcomes into the envelope (or removes the message when nothing is left), then sends
    /// the notifications they call for.
    private func record(_ outcomes: [RecipientOutcome], of original: QueueEnvelope, message: [UInt8], now: Date) async {
        let schedule = settings.schedule
        var notices: [DeliveryStatusNotification.Entry] = []
        var delayed: [DeliveryStatusNotification.Entry] = []
        let updated: QueueEnvelope?
        do {
            updated = try store.queue.update(original.id) { envelope in
                envelope.attempts += 1
                for outcome in outcomes {
                    guard let index = envelope.recipients.firstIndex(where: { $0.address == outcome.address && $0.status == .pending })
                    else { continue }
                    envelope.recipients[index].lastReply = outcome.reply
                    envelope.recipients[index].remoteMTA = outcome.remoteMTA
                    let recipient = envelope.recipients[index]
                    switch outcome.kind {
                    case .accepted(let offersDSN):
                        envelope.recipients[index].status = offersDSN ? .delivered : .relayed
                        if recipient.notify.success {
                            let action: DeliveryStatusNotification.Action = offersDSN ? .delivered : .relayed
                            notices.append(.init(recipient: envelope.recipients[index], action: action, status: "2.0.0", lastAttempt: now))
                        }
                    case .failed:
                        envelope.recipients[index].status = .failed
                        if recipient.notify.failure {
                            let status = DeliveryStatusNotification.status(of: outcome.reply, fallback: "5.0.0")
                            notices.append(.init(recipient: envelope.recipients[index], action: .failed, status: status, lastAttempt: now))
                        }
                    case .deferred:
                        break
                    }
                }
                envelope.nextAttempt = schedule.nextAttempt(afterAttempt: envelope.attempts, arrival: envelope.arrival, now: now)
                if !envelope.delayWarned, !envelope.pendingRecipients.isEmpty,
                    schedule.isDelayWarningDue(arrival: envelope.arrival, now: now)
                {
                    envelope.delayWarned = true
                    delayed = envelope.pendingRecipients.filter(\.notify.delay).map {
                        .init(recipient: $0, action: .delayed, status: DeliveryStatusNotification.status(of: $0.lastReply, fallback: "4.0.0"), lastAttempt: now)
                    }
                }
            }
        } catch {
            logger.error("cannot record a delivery attempt", metadata: ["queue.id": "\(original.id)", "error": "\(error)"])
            return
        }
        guard let updated else { return }  // deleted meanwhile (`correo queue delete`)
        if !updated.isFinished {
            logger.info(
                "deferred",
                metadata: ["queue.id": "\(updated.id)", "attempts": "\(updated.attempts)",
                    "next": "\(ISO8601DateFormatter().string(from: updated.nextAttempt))"])
        }
        if !notices.isEmpty { await notify(updated, entries: notices, message: message, now: now) }
        if !delayed.isEmpty {
            let until = updated.arrival.addingTimeInterval(schedule.queueLifetime)
            await notify(updated, entries: delayed, message: message, now: now, willRetryUntil: until)
        }
    }

    /// Sends a DSN to the message's sender: into the store when the sender is local, through the queue
    /// otherwise; never to the null sender (RFC 3461 §6.2: no notification about a notification).
    private func notify(
        _ envelope: QueueEnvelope,
        entries: [DeliveryStatusNotification.Entry],
        message: [UInt8],
        now: Date,
        willRetryUntil: Date? = nil
    ) async {
        guard !envelope.sender.isEmpty else { return }
        let report = DeliveryStatusNotification(
            reportingMTA: settings.hostname, envelope: envelope, entries: entries, willRetryUntil: willRetryUntil
        )
        let bytes = report.render(original: message, now: now)
        let senderDomain = QueuedRecipient(address: envelope.sender).domain
        do {
            if localDomains.contains(senderDomain), await store.userExists(envelope.sender) {
                _ = try await store.deliver(bytes: bytes, to: [envelope.sender])
            } else {
                let bounce = QueueEnvelope(
                    id: OutboundQueue.newID(now: now), sender: "",
                    recipients: [QueuedRecipient(address: envelope.sender, notify: .never)], arrival: now
                )
                try store.queue.enqueue(bytes: bytes, envelope: bounce)
                nudge()
            }
            logger.info(
                "notification sent",
                metadata: ["queue.id": "\(envelope.id)", "to": "\(envelope.sender)", "subject": "\(report.subject)"])
        } catch {
            logger.error("cannot send a notification", metadata: ["queue.id": "\(envelope.id)", "error": "\(error)"])
        }
    }

    private func log(_ outcome: RecipientOutcome, envelope: QueueEnvelope) {
        let status: String
        switch outcome.kind {
        case .accepted(let offersDSN): status = offersDSN ? "sent" : "relayed"
        case .deferred: status = "deferred"
        case .failed: status = "bounced"
        }
        logger.info(
            "delivery attempt",
            metadata: [
                "queue.id": "\(envelope.id)", "from": "\(envelope.sender)", "to": "\(outcome.address)",
                "relay": "\(outcome.remoteMTA ?? "none")", "tls": "\(outcome.tls)", "status": "\(status)",
                "reply": "\(outcome.reply)",
            ])
    }
}
