import CoreMetrics
import Foundation
import Logging
import MailStore

extension QueueRunner {
    /// Sends a DSN to the message's sender: into the store when the sender is local, through the queue
    /// otherwise; never to the null sender (RFC 3461 §6.2: no notification about a notification).
    func notify(
        _ envelope: QueueEnvelope,
        entries: [DeliveryStatusNotification.Entry],
        message: [UInt8],
        now: Date,
        willRetryUntil: Date? = nil
    ) async {
        guard !envelope.sender.isEmpty else { return }
        let report = DeliveryStatusNotification(
            reportingMTA: settings.hostname,
            envelope: envelope,
            entries: entries,
            willRetryUntil: willRetryUntil
        )
        let bytes = report.render(original: message, now: now)
        let senderDomain = QueuedRecipient(address: envelope.sender).domain
        do {
            if localDomains.contains(senderDomain), try await users.acceptsMail(for: envelope.sender) {
                _ = try await users.deliverToInboxes(bytes, users: [envelope.sender])
            } else {
                let bounce = QueueEnvelope(
                    id: OutboundQueue.newID(now: now),
                    sender: "",
                    recipients: [QueuedRecipient(address: envelope.sender, notify: .never)],
                    arrival: now
                )
                _ = try await queue.enqueue(bytes: bytes, envelope: bounce)
                enqueued(bounce.id)
            }
            logger.info(
                "notification sent",
                metadata: ["queue_id": "\(envelope.id)", "to": "\(envelope.sender)", "subject": "\(report.subject)"]
            )
        } catch {
            logger.error("cannot send a notification", metadata: ["queue_id": "\(envelope.id)", "error": "\(error)"])
        }
    }

    func log(_ outcome: RecipientOutcome, envelope: QueueEnvelope) {
        let status: String
        switch outcome.kind {
        case .accepted(let offersDSN): status = offersDSN ? "sent" : "relayed"
        case .deferred: status = "deferred"
        case .failed: status = "bounced"
        }
        // The keys are ServerSupport's LogKey vocabulary (the relay sits below it, so spelled out here).
        logger.info(
            "delivery attempt",
            metadata: [
                "event": "delivery", "queue_id": "\(envelope.id)", "from": "\(envelope.sender)",
                "to": "\(outcome.address)", "relay": "\(outcome.remoteMTA ?? "none")", "tls": "\(outcome.tls)",
                "status": "\(status)", "reply": "\(outcome.reply)",
            ]
        )
        Counter(label: "correo_deliveries_total", dimensions: [("status", status)]).increment()
    }
}
