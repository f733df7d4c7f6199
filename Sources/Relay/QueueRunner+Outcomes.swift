import Foundation
import MailStore

extension QueueRunner {
    /// The notifications an attempt's outcomes call for: those sent now (delivered, relayed, failed) and
    /// the delay warnings.
    typealias Notices = (sent: [DeliveryStatusNotification.Entry], delayed: [DeliveryStatusNotification.Entry])

    /// Records `outcomes` in `envelope` — each pending recipient's new state, the attempt count, the next
    /// attempt's time, the delay warning once it is due — and returns the notifications to send.
    ///
    /// Pure, so that the queue's backend can run it under its lock (after reading the envelope again).
    static func apply(
        _ outcomes: [RecipientOutcome],
        to envelope: inout QueueEnvelope,
        schedule: RetrySchedule,
        now: Date
    ) -> Notices {
        var notices: [DeliveryStatusNotification.Entry] = []
        var delayed: [DeliveryStatusNotification.Entry] = []
        envelope.attempts += 1
        for outcome in outcomes {
            guard
                let index = envelope.recipients.firstIndex(where: {
                    $0.address == outcome.address && $0.status == .pending
                })
            else { continue }
            envelope.recipients[index].lastReply = outcome.reply
            envelope.recipients[index].remoteMTA = outcome.remoteMTA
            let recipient = envelope.recipients[index]
            switch outcome.kind {
            case .accepted(let offersDSN):
                envelope.recipients[index].status = offersDSN ? .delivered : .relayed
                if recipient.notify.success {
                    let action: DeliveryStatusNotification.Action = offersDSN ? .delivered : .relayed
                    notices.append(
                        .init(
                            recipient: envelope.recipients[index],
                            action: action,
                            status: "2.0.0",
                            lastAttempt: now
                        )
                    )
                }
            case .failed:
                envelope.recipients[index].status = .failed
                if recipient.notify.failure {
                    let status = DeliveryStatusNotification.status(of: outcome.reply, fallback: "5.0.0")
                    notices.append(
                        .init(
                            recipient: envelope.recipients[index],
                            action: .failed,
                            status: status,
                            lastAttempt: now
                        )
                    )
                }
            case .deferred:
                break
            }
        }
        envelope.nextAttempt = schedule.nextAttempt(
            afterAttempt: envelope.attempts,
            arrival: envelope.arrival,
            now: now
        )
        if !envelope.delayWarned, !envelope.pendingRecipients.isEmpty,
            schedule.isDelayWarningDue(arrival: envelope.arrival, now: now)
        {
            envelope.delayWarned = true
            delayed = envelope.pendingRecipients.filter(\.notify.delay).map {
                .init(
                    recipient: $0,
                    action: .delayed,
                    status: DeliveryStatusNotification.status(of: $0.lastReply, fallback: "4.0.0"),
                    lastAttempt: now
                )
            }
        }
        return (notices, delayed)
    }
}
