import Foundation
import MTASTS
import MailStore

extension QueueRunner {
    /// Once per UTC day (the runner's loop asks every time; only a new day costs anything), the TLS-RPT
    /// reports of the finished days.
    func sendTLSReportsIfDue() async {
        let today = TLSReportLedger.utcDay(clock())
        guard security?.ledger != nil, tlsReportsCheckedDay != today else { return }
        tlsReportsCheckedDay = today
        _ = await sendTLSReports()
    }

    /// Queues the RFC 8460 report of every finished day to each `mailto:` of its `_smtp._tls` record.
    ///
    /// The day is then forgotten. Returns the queue ids. An `https:` rua is logged and
    /// left out (not implemented); a domain without a TLS-RPT record, or whose record could not be looked
    /// up, gets nothing.
    @discardableResult
    public func sendTLSReports() async -> [String] {
        guard let security, let ledger = security.ledger, let txt = security.txt else { return [] }
        let now = clock()
        var queued: [String] = []
        let submitter = settings.hostname
        for day in await ledger.finishedDays(now: now) {
            guard let range = TLSReportLedger.range(of: day) else {
                await ledger.remove(day)
                continue
            }
            for (domain, tally) in await ledger.tallies(of: day).sorted(by: { $0.key < $1.key }) {
                let uris: [String]
                switch await txt.txtAnswer("_smtp._tls.\(domain)") {
                case .texts(let texts): uris = TXTDirective.reportingURIs(texts) ?? []
                case .none: uris = []
                case .temporaryFailure(let why):
                    // Not kept for later: the other domains' reports of the day are queued already.
                    logger.warning(
                        "TLS-RPT report not sent",
                        metadata: [
                            "event": "tls-rpt.report", "policy_domain": "\(domain)",
                            "reason": "TLS-RPT record look-up failed", "error": "\(why)",
                        ]
                    )
                    continue
                }
                for uri in uris {
                    guard let mailbox = TXTDirective.mailbox(uri) else {
                        logger.info(
                            "TLS-RPT report not sent",
                            metadata: [
                                "event": "tls-rpt.report", "policy_domain": "\(domain)",
                                "reason": "only mailto: rua is supported", "to": "\(uri)",
                            ]
                        )
                        continue
                    }
                    let report = TLSReport(
                        organizationName: security.organizationName,
                        start: range.start,
                        end: range.end,
                        contactInfo: security.reportSender,
                        reportID: "\(day)-\(domain)-\(OutboundQueue.newID(now: now))",
                        policyDomain: domain,
                        tally: tally
                    )
                    do {
                        let bytes = try TLSReportMail.render(
                            report,
                            submitter: submitter,
                            from: security.reportSender,
                            to: mailbox,
                            now: now
                        )
                        let envelope = QueueEnvelope(
                            id: OutboundQueue.newID(now: now),
                            sender: security.reportSender,
                            recipients: [QueuedRecipient(address: mailbox, notify: .never)],
                            arrival: now,
                            submitter: "tls-rpt"
                        )  // signed with DKIM like submitted mail (RFC 8460 §5.3)
                        _ = try await queue.enqueue(bytes: bytes, envelope: envelope)
                        enqueued(envelope.id)
                        queued.append(envelope.id)
                        logger.info(
                            "TLS-RPT report queued",
                            metadata: [
                                "event": "tls-rpt.report", "queue_id": "\(envelope.id)", "policy_domain": "\(domain)",
                                "to": "\(mailbox)", "count": "\(tally.successes + tally.failureCount)",
                            ]
                        )
                    } catch {
                        logger.error(
                            "cannot queue a TLS-RPT report",
                            metadata: ["policy_domain": "\(domain)", "error": "\(error)"]
                        )
                    }
                }
            }
            await ledger.remove(day)
        }
        return queued
    }
}
