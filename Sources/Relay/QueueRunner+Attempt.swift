import Foundation
import Logging
import MailAuth
import MailStore

extension QueueRunner {
    /// One delivery attempt of one message.
    ///
    /// Returns the envelope as recorded, nil when the message could not be read or left the queue meanwhile.
    func process(_ envelope: QueueEnvelope) async -> QueueEnvelope? {
        let now = clock()
        let message: [UInt8]
        do {
            message = try await queue.message(envelope.id)
        } catch {
            logger.error("queued message unreadable", metadata: ["queue_id": "\(envelope.id)", "error": "\(error)"])
            return nil
        }
        var outcomes: [RecipientOutcome] = []
        let pending = envelope.pendingRecipients
        if settings.schedule.hasExpired(arrival: envelope.arrival, now: now) {
            outcomes = pending.map {
                RecipientOutcome(
                    address: $0.address,
                    kind: .failed,
                    reply: "4.4.7 delivery time expired; last error: \($0.lastReply ?? "none")",
                    remoteMTA: $0.remoteMTA
                )
            }
        } else {
            let byDomain = Dictionary(grouping: pending, by: \.domain)
            let outbound = signed(message, envelope: envelope, domains: byDomain.keys, now: now)
            let localDomains = self.localDomains
            await withTaskGroup(of: [RecipientOutcome].self) { group in
                for (domain, recipients) in byDomain {
                    group.addTask {
                        if localDomains.contains(domain) {
                            // RFC 5321 §4.4: the final delivery adds Return-Path (the SMTP server left it
                            // out of queued messages, which may go on to other hosts).
                            let returnPath = Array("Return-Path: <\(envelope.sender)>\r\n".utf8)
                            return await self.deliverLocally(
                                returnPath + message,
                                recipients: recipients,
                                folder: envelope.localFolder
                            )
                        }
                        // With a smarthost every message goes to one destination: the relay host.
                        let destination = self.settings.smarthost?.host ?? domain
                        await self.destinations.acquire(destination)
                        let outcomes = await self.remote.deliver(
                            outbound,
                            envelope: envelope,
                            domain: domain,
                            recipients: recipients
                        )
                        await self.destinations.release(destination)
                        return outcomes
                    }
                }
                for await part in group { outcomes += part }
            }
        }
        for outcome in outcomes { log(outcome, envelope: envelope) }
        return await record(outcomes, of: envelope, message: message, now: now)
    }

    /// A submitted message with DKIM signatures of its From domain on top, when it leaves correo now.
    ///
    /// Signed here, before `RemoteDelivery`, rather than when it is queued: the queued bytes are never
    /// changed (they are streamed to disk before the 250, and a signature would mean reading them back
    /// and writing them again), and signing the queued bytes anew at each attempt means every copy
    /// that leaves carries exactly one set of signatures, made once, over exactly what is sent. Local
    /// recipients get the message unsigned, as the server stored it; notifications are not signed.
    private func signed(
        _ message: [UInt8],
        envelope: QueueEnvelope,
        domains: some Sequence<String>,
        now: Date
    ) -> [UInt8] {
        guard envelope.submitter != nil, domains.contains(where: { !localDomains.contains($0) }) else { return message }
        return dkim.sign(message, now: Int(now.timeIntervalSince1970))
    }

    private func archive(_ message: [UInt8], recipient: String, group: String) async -> RecipientOutcome {
        do {
            _ = try await newsgroups.openNewsgroup(group).append(
                bytes: message,
                flags: [],
                keywords: [],
                internalDate: Date()
            )
            return RecipientOutcome(
                address: recipient,
                kind: .accepted(offersDSN: true),
                reply: "250 2.0.0 archived in \(group)"
            )
        } catch {
            return RecipientOutcome(address: recipient, kind: .deferred, reply: "4.3.0 \(error)")
        }
    }

    /// Delivers to local recipients: into their INBOX, or into their Junk folder when the sender checks
    /// at the MX filed the message there (`folder`).
    private func deliverLocally(
        _ message: [UInt8],
        recipients: [QueuedRecipient],
        folder: QueueEnvelope.LocalFolder?
    ) async -> [RecipientOutcome] {
        var outcomes: [RecipientOutcome] = []
        // Outcomes are recorded by the envelope's address; the store names mailboxes its own way.
        var addresses: [String: [String]] = [:]
        var mailboxes: [String] = []
        for recipient in recipients {
            let group: Newsgroup?
            do {
                group = try await newsgroups.newsgroup(address: recipient.address)
            } catch {
                outcomes.append(RecipientOutcome(address: recipient.address, kind: .deferred, reply: "4.3.0 \(error)"))
                continue
            }
            if let group {
                // A newsgroup's address (`correo group --address`): the message is archived in the group.
                outcomes.append(await archive(message, recipient: recipient.address, group: group.name))
                continue
            }
            let mailbox: String?
            do {
                mailbox = try await localMailbox(recipient.address)
            } catch {
                // The users' store cannot be asked now: tried again later, never bounced as unknown.
                outcomes.append(RecipientOutcome(address: recipient.address, kind: .deferred, reply: "4.3.0 \(error)"))
                continue
            }
            if let mailbox {
                if addresses[mailbox] == nil { mailboxes.append(mailbox) }
                addresses[mailbox, default: []].append(recipient.address)
            } else {
                outcomes.append(
                    RecipientOutcome(address: recipient.address, kind: .failed, reply: "550 5.1.1 No such user here")
                )
            }
        }
        guard !mailboxes.isEmpty else { return outcomes }
        if folder == .junk { return outcomes + (await deliverToJunk(message, addresses: addresses, mailboxes)) }
        do {
            let results = try await users.deliverToInboxes(message, users: mailboxes)
            for result in results {
                for address in addresses[result.user] ?? [result.user] {
                    outcomes.append(
                        RecipientOutcome(
                            address: address,
                            kind: result.failure == nil ? .accepted(offersDSN: true) : .deferred,
                            reply: result.failure.map { "4.3.0 \($0)" } ?? "250 2.0.0 delivered to the mailbox"
                        )
                    )
                }
            }
        } catch {
            outcomes += addresses.values.joined().map {
                RecipientOutcome(address: $0, kind: .deferred, reply: "4.3.0 \(error)")
            }
        }
        return outcomes
    }

    /// Delivers into each mailbox's Junk folder, one by one: a mailbox whose copy could not be made is
    /// tried again later (and those before it may then get a second copy, as with INBOX).
    private func deliverToJunk(
        _ message: [UInt8],
        addresses: [String: [String]],
        _ mailboxes: [String]
    ) async -> [RecipientOutcome] {
        var outcomes: [RecipientOutcome] = []
        for mailbox in mailboxes {
            var reply = "250 2.0.0 delivered to the Junk folder"
            var kind = RecipientOutcome.Kind.accepted(offersDSN: true)
            do {
                try await users.deliverToJunk(message, users: [mailbox])
            } catch {
                (kind, reply) = (.deferred, "4.3.0 \(error)")
            }
            for address in addresses[mailbox] ?? [mailbox] {
                outcomes.append(RecipientOutcome(address: address, kind: kind, reply: reply))
            }
        }
        return outcomes
    }

    /// Writes the outcomes into the envelope (or removes the message when nothing is left), then sends
    /// the notifications they call for.
    private func record(
        _ outcomes: [RecipientOutcome],
        of original: QueueEnvelope,
        message: [UInt8],
        now: Date
    ) async -> QueueEnvelope? {
        let schedule = settings.schedule
        let recorded: (envelope: QueueEnvelope, result: Notices)?
        do {
            recorded = try await queue.update(original.id, removeWhenFinished: true) { envelope in
                Self.apply(outcomes, to: &envelope, schedule: schedule, now: now)
            }
        } catch {
            logger.error(
                "cannot record a delivery attempt",
                metadata: ["queue_id": "\(original.id)", "error": "\(error)"]
            )
            return nil
        }
        guard let recorded else { return nil }  // deleted meanwhile (`correo queue delete`)
        let updated = recorded.envelope
        let (notices, delayed) = recorded.result
        if !updated.isFinished {
            logger.info(
                "deferred",
                metadata: [
                    "queue_id": "\(updated.id)", "attempts": "\(updated.attempts)",
                    "next": "\(ISO8601DateFormatter().string(from: updated.nextAttempt))",
                ]
            )
        }
        if !notices.isEmpty { await notify(updated, entries: notices, message: message, now: now) }
        if !delayed.isEmpty {
            let until = updated.arrival.addingTimeInterval(schedule.queueLifetime)
            await notify(updated, entries: delayed, message: message, now: now, willRetryUntil: until)
        }
        return updated
    }
}
