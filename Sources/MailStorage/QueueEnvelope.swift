import Foundation
import MailCore

/// RFC 3461 §4.1 NOTIFY: when the sender wants a delivery status notification for a recipient.
public struct DSNNotify: Codable, Hashable, Sendable {
    /// NOTIFY=SUCCESS: report the delivery.
    public var success: Bool
    /// NOTIFY=FAILURE: report a bounce.
    public var failure: Bool
    /// NOTIFY=DELAY: report a delay.
    public var delay: Bool

    /// NOTIFY=NEVER.
    public static let never = DSNNotify(success: false, failure: false, delay: false)
    /// No NOTIFY given: RFC 3461 §4.1 lets the MTA act as if FAILURE (and DELAY) had been asked for.
    public static let `default` = DSNNotify(success: false, failure: true, delay: true)

    /// The NOTIFY list with these keywords.
    public init(success: Bool, failure: Bool, delay: Bool) {
        self.success = success
        self.failure = failure
        self.delay = delay
    }
}

/// One recipient of a queued message and what has happened to it so far.
public struct QueuedRecipient: Codable, Hashable, Sendable {
    /// Where a recipient stands.
    public enum Status: String, Codable, Hashable, Sendable {
        /// Not yet accepted by the next hop: tried again on the back-off schedule.
        case pending
        /// The next hop answered 250, and it offered DSN: it reports from here on.
        case delivered
        /// The next hop answered 250 but does not offer DSN (RFC 3461 §5.2.2: "relayed").
        case relayed
        /// Refused for good (5xx), or given up after the queue lifetime: bounced to the sender.
        case failed
    }

    /// The forward path, `local@domain`.
    public var address: String
    /// ORCPT= (RFC 3461 §4.2) as `addr-type;address`, passed on to the next hop and into the DSN.
    public var originalRecipient: String?
    /// NOTIFY= (RFC 3461 §4.1): which notifications the sender wants for this recipient.
    public var notify: DSNNotify
    /// Where delivery to this recipient stands.
    public var status: Status
    /// The last reply or error for this recipient ("450 4.2.0 Mailbox busy", "connection refused").
    public var lastReply: String?
    /// The host that gave `lastReply`, when a host did.
    public var remoteMTA: String?

    /// A recipient, pending unless `status` says otherwise.
    public init(
        address: String,
        originalRecipient: String? = nil,
        notify: DSNNotify = .default,
        status: Status = .pending,
        lastReply: String? = nil,
        remoteMTA: String? = nil
    ) {
        self.address = address
        self.originalRecipient = originalRecipient
        self.notify = notify
        self.status = status
        self.lastReply = lastReply
        self.remoteMTA = remoteMTA
    }

    /// The domain part, lower-cased: what the relay routes on.
    public var domain: String {
        EmailAddress.split(address)?.domain.lowercased() ?? ""
    }
}

/// A queued message's envelope and delivery state.
///
/// It is STORAGE/queue/envelopes/ID, beside its bytes in STORAGE/queue/messages/ID. Small, rewritten atomically at every change; the bytes never change.
public struct QueueEnvelope: Codable, Hashable, Sendable {
    /// RET= (RFC 3461 §4.3).
    public enum ReturnContent: String, Codable, Hashable, Sendable {
        case full = "FULL"
        case headers = "HDRS"
    }

    /// The queue id, also given to the client in the 250 reply and logged with every attempt.
    public var id: String
    /// The reverse path; "" for the null sender `<>` (bounces), which never gets a notification.
    public var sender: String
    /// The recipients, each with its own delivery state.
    public var recipients: [QueuedRecipient]
    /// ENVID= (RFC 3461 §4.4).
    public var envelopeID: String?
    /// RET= (RFC 3461 §4.3): whether a notification returns the whole message or its headers.
    public var returnContent: ReturnContent?
    /// BODY=8BITMIME was given (or the message holds 8-bit octets): passed on when the next hop offers it.
    public var eightBitMIME: Bool
    /// SMTPUTF8 was given.
    public var smtpUTF8: Bool
    /// When the message was accepted.
    public var arrival: Date
    /// Delivery attempts so far.
    public var attempts: Int
    /// When the next attempt is due.
    public var nextAttempt: Date
    /// Whether the delay notification (RFC 3464 `Action: delayed`) was sent.
    public var delayWarned: Bool
    /// `correo queue hold`: not tried until released.
    public var held: Bool
    /// Who submitted it (the AUTH identity), and from where; for the logs and `correo queue show`.
    public var submitter: String?
    /// The client's IP address.
    public var clientAddress: String?
    /// Octets of the message as stored.
    public var size: Int
    /// The folder local recipients get the message in; nil for the INBOX.
    ///
    /// Set when the sender checks at the MX filed it as junk (DMARC `p=quarantine`) before it was queued.
    public var localFolder: LocalFolder?

    /// A folder a queued message is delivered into other than the INBOX.
    public enum LocalFolder: String, Codable, Hashable, Sendable {
        /// The recipient's Junk folder (the one marked `\Junk`, RFC 6154), made when missing.
        case junk
    }

    /// An envelope for a newly accepted message.
    public init(
        id: String,
        sender: String,
        recipients: [QueuedRecipient],
        envelopeID: String? = nil,
        returnContent: ReturnContent? = nil,
        eightBitMIME: Bool = false,
        smtpUTF8: Bool = false,
        arrival: Date = Date(),
        submitter: String? = nil,
        clientAddress: String? = nil,
        size: Int = 0
    ) {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.envelopeID = envelopeID
        self.returnContent = returnContent
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
        self.arrival = arrival
        self.attempts = 0
        self.nextAttempt = arrival
        self.delayWarned = false
        self.held = false
        self.submitter = submitter
        self.clientAddress = clientAddress
        self.size = size
    }

    /// Recipients still to be tried.
    public var pendingRecipients: [QueuedRecipient] { recipients.filter { $0.status == .pending } }

    /// Whether nothing is left to do: every recipient delivered, relayed or failed.
    public var isFinished: Bool { recipients.allSatisfy { $0.status != .pending } }
}
