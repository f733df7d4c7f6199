import Foundation
import MailCore
import MailStore

/// A delivery status notification (RFC 3464) for the sender of a queued message.
///
/// It is a `multipart/report` with a human part, a `message/delivery-status` part (one block per recipient) and
/// the original message or its header (RET=HDRS). Sent from the null sender, so that it can never cause
/// another.
public struct DeliveryStatusNotification: Sendable {
    /// RFC 3464 §2.3.3 `Action`.
    public enum Action: String, Sendable {
        /// `failed`: given up; `delayed`: still trying; `delivered`: delivered, or passed to a host that
        /// reports from there; `relayed`: passed to a host that sends no notifications (RFC 3461 §5.2.2).
        case failed, delayed, delivered, relayed
    }

    /// One recipient's block.
    public struct Entry: Sendable {
        /// The recipient this block is about, with the address the sender gave (`Original-Recipient`).
        public var recipient: QueuedRecipient
        /// What happened to the message for this recipient (§2.3.3).
        public var action: Action
        /// The RFC 3463 status code (`Status`, §2.3.4), such as "5.1.1".
        public var status: String
        /// When delivery was last tried (`Last-Attempt-Date`, §2.3.7); nil writes the notification's own time.
        public var lastAttempt: Date?

        /// Makes one recipient's block of the `message/delivery-status` part.
        public init(recipient: QueuedRecipient, action: Action, status: String, lastAttempt: Date? = nil) {
            self.recipient = recipient
            self.action = action
            self.status = status
            self.lastAttempt = lastAttempt
        }
    }

    /// The host name in `Reporting-MTA` (§2.2.2) and in the MAILER-DAEMON From address.
    public var reportingMTA: String
    /// The queued message's envelope: its sender gets the notification.
    public var envelope: QueueEnvelope
    /// One block per recipient the notification is about.
    public var entries: [Entry]
    /// For `delayed`: until when correo keeps trying.
    public var willRetryUntil: Date?

    /// Makes a notification about `entries` of the message queued with `envelope`.
    public init(reportingMTA: String, envelope: QueueEnvelope, entries: [Entry], willRetryUntil: Date? = nil) {
        self.reportingMTA = reportingMTA
        self.envelope = envelope
        self.entries = entries
        self.willRetryUntil = willRetryUntil
    }

    /// The RFC 3463 status in `reply` ("550 5.1.1 …" → "5.1.1").
    ///
    /// Without one, a status made from the reply's class (RFC 3463 §3.1: X.0.0), else `fallback`.
    public static func status(of reply: String?, fallback: String) -> String {
        guard let reply else { return fallback }
        let words = reply.split(separator: " ", maxSplits: 2).map(String.init)
        // "550 5.1.1 …" from a server, or "4.4.7 …" in correo's own words.
        for word in words.prefix(2) where isEnhancedCode(word) { return word }
        if let code = words.first, code.count == 3, let first = code.first, "245".contains(first), Int(code) != nil {
            return "\(first).0.0"
        }
        return fallback
    }

    static func isEnhancedCode(_ word: String) -> Bool {
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let first = parts[0].first, "245".contains(first), parts[0].count == 1 else {
            return false
        }
        return parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && Int($0) != nil }
    }

    /// The whole message, CRLF line ends, ready to deliver or queue.
    ///
    /// `original` is the queued message.
    public func render(original: [UInt8], now: Date = Date(), messageID: String = UUID().uuidString) -> [UInt8] {
        let boundary = "=_correo_dsn_" + messageID.replacingOccurrences(of: "-", with: "").lowercased()
        let date = MessageDate.format(now)
        var lines: [String] = [
            "From: Mail Delivery System <MAILER-DAEMON@\(reportingMTA)>",
            "To: <\(envelope.sender)>",
            "Subject: \(subject)",
            "Date: \(date)",
            "Message-ID: <\(messageID)@\(reportingMTA)>",
            "Auto-Submitted: auto-replied",  // RFC 3834 §5: no auto-reply to this
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            " boundary=\"\(boundary)\"",
            "",
            "This is a MIME-encapsulated message: a delivery status notification (RFC 3464).",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
        ]
        lines += humanText
        lines += ["", "--\(boundary)", "Content-Type: message/delivery-status", ""]
        lines += statusFields(now: now)
        let returnsHeadersOnly = envelope.returnContent == .headers || entries.allSatisfy { $0.action != .failed }
        lines += [
            "--\(boundary)",
            returnsHeadersOnly ? "Content-Type: text/rfc822-headers" : "Content-Type: message/rfc822",
            "",
        ]
        var bytes = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
        let content = returnsHeadersOnly ? Self.header(of: original) : original
        bytes += content
        if !content.isEmpty, !(content.suffix(2) == [0x0D, 0x0A]) { bytes += [0x0D, 0x0A] }
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }

    var subject: String {
        if entries.contains(where: { $0.action == .failed }) { return "Undelivered Mail Returned to Sender" }
        if entries.contains(where: { $0.action == .delayed }) { return "Delayed Mail (still being retried)" }
        return "Successful Mail Delivery Report"
    }

    var humanText: [String] {
        var text = ["This is the mail system at host \(reportingMTA).", ""]
        let failed = entries.filter { $0.action == .failed }
        let delayed = entries.filter { $0.action == .delayed }
        let done = entries.filter { $0.action == .delivered || $0.action == .relayed }
        if !failed.isEmpty {
            text += [
                "I'm sorry to have to inform you that your message could not",
                "be delivered to one or more recipients.", "",
            ]
            for entry in failed {
                text.append("<\(entry.recipient.address)>: \(entry.recipient.lastReply ?? entry.status)")
            }
            text.append("")
        }
        if !delayed.isEmpty {
            text += [
                "Your message could not be delivered yet to the recipients below;", "delivery is still being tried.",
            ]
            if let until = willRetryUntil { text.append("It will be tried until \(MessageDate.format(until)).") }
            text.append("")
            for entry in delayed {
                text.append("<\(entry.recipient.address)>: \(entry.recipient.lastReply ?? entry.status)")
            }
            text.append("")
        }
        if !done.isEmpty {
            text += ["Your message was delivered to the recipients below.", ""]
            for entry in done { text.append("<\(entry.recipient.address)>: \(entry.action.rawValue)") }
            text.append("")
        }
        return text
    }

    /// RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields, blocks separated by empty lines.
    func statusFields(now: Date) -> [String] {
        var fields = ["Reporting-MTA: dns; \(reportingMTA)"]
        if let envelopeID = envelope.envelopeID { fields.append("Original-Envelope-Id: \(envelopeID)") }
        fields.append("Arrival-Date: \(MessageDate.format(envelope.arrival))")
        fields.append("")
        for entry in entries {
            fields.append("Final-Recipient: rfc822; \(entry.recipient.address)")
            if let original = entry.recipient.originalRecipient {
                fields.append("Original-Recipient: \(original)")
            }
            fields.append("Action: \(entry.action.rawValue)")
            fields.append("Status: \(entry.status)")
            if let remote = entry.recipient.remoteMTA { fields.append("Remote-MTA: dns; \(remote)") }
            if let reply = entry.recipient.lastReply, entry.action != .delivered {
                // A reply from an SMTP server is an "smtp" diagnostic; anything else (DNS, a refused
                // connection) is correo's own words.
                let isReply = reply.prefix(3).allSatisfy(\.isNumber)
                fields.append("Diagnostic-Code: \(isReply ? "smtp" : "x-correo"); \(reply)")
            }
            fields.append("Last-Attempt-Date: \(MessageDate.format(entry.lastAttempt ?? now))")
            if entry.action == .delayed, let until = willRetryUntil {
                fields.append("Will-Retry-Until: \(MessageDate.format(until))")
            }
            fields.append("")
        }
        return fields
    }

    /// The header section of `message`, up to and including the empty line that ends it.
    static func header(of message: [UInt8]) -> [UInt8] {
        var index = 0
        while index + 3 < message.count {
            if message[index] == 0x0D, message[index + 1] == 0x0A, message[index + 2] == 0x0D,
                message[index + 3] == 0x0A
            {
                return Array(message[..<(index + 4)])
            }
            index += 1
        }
        return message
    }
}
