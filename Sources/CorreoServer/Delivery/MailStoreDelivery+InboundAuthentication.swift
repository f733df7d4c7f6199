import MailStore
import NIOPosix
import SMTPServer

extension MailStoreIncomingMessage {
    /// Local delivery with the sender checks: refused, delivered into Junk, or delivered with the
    /// Authentication-Results field (see `checked(_:)`).
    ///
    /// Nothing is delivered before the verdict, so a refusal leaves nothing behind (MessageStream discards the
    /// message).
    func deliver(to mailboxes: [String], origin: SMTPMessageOrigin) async throws {
        switch try await checked(origin) {
        case .asReceived: try await deliver(to: mailboxes)
        case .inbox(let bytes): try await replaced(by: bytes).deliver(to: mailboxes)
        case .junk(let bytes): try await deliverToJunk(bytes, mailboxes)
        }
    }

    /// Queueing with the same sender checks, before the 250: a refusal is the same `550 5.7.1` at the end
    /// of DATA, the queued bytes carry the Authentication-Results field, and a message filed as junk is
    /// marked so in its envelope (the queue runner delivers it into Junk).
    func queue(_ envelope: SMTPEnvelope, origin: SMTPMessageOrigin) async throws -> String {
        switch try await checked(origin) {
        case .asReceived: return try await queue(envelope)
        case .inbox(let bytes): return try await replaced(by: bytes).queue(envelope)
        case .junk(let bytes): return try await replaced(by: bytes).queue(envelope, localFolder: .junk)
        }
    }

    /// What the sender checks left to deliver or queue.
    enum Checked {
        /// The message as received: not checked (no checks configured, an authenticated submitter, too
        /// big, or an exempt client).
        case asReceived
        /// These octets (the message with correo's Authentication-Results field on top), for the INBOX.
        case inbox([UInt8])
        /// These octets, for each recipient's Junk folder (DMARC `p=quarantine`).
        case junk([UInt8])
    }

    /// The one place both paths run the checks: the message, already whole in STORAGE/tmp/, is read back
    /// (up to `InboundAuthentication.maximumCheckedSize`) and checked; a DMARC reject throws
    /// `SMTPDeliveryError.refused`.
    func checked(_ origin: SMTPMessageOrigin) async throws -> Checked {
        guard let inbound, inbound.applies(to: origin) else { return .asReceived }
        let incoming = self.incoming
        let limit = inbound.maximumCheckedSize
        let bytes = try await threadPool.runIfActive { try incoming.contents(upTo: limit) }
        switch await inbound.decide(bytes, size: incoming.size, origin: origin) {
        case .unchecked: return .asReceived
        case .deliver(let checked): return .inbox(checked)
        case .junk(let checked): return .junk(checked)
        case .refuse(let reason): throw SMTPDeliveryError.refused(reason)
        }
    }

    /// The same delivery for `bytes` in place of what was received (which is dropped): the message with
    /// its new header field goes through the same group commit (or queueing) as any other.
    private func replaced(by bytes: [UInt8]) async throws -> MailStoreIncomingMessage {
        let next = try store.beginDelivery()
        do {
            try await threadPool.runIfActive { try next.write(bytes) }
        } catch let error as MailStoreError where isNoSpace(error) {
            next.abandon()
            throw SMTPDeliveryError.insufficientStorage
        }
        incoming.abandon()
        return MailStoreIncomingMessage(
            store: store,
            incoming: next,
            users: users,
            newsgroups: newsgroups,
            outbound: outbound,
            threadPool: threadPool,
            queued: queued,
            inbound: nil
        )
    }

    /// Appends `bytes` durably to each recipient's Junk folder (`MailStore.junkMailbox(user:)`).
    ///
    /// Any failure fails the whole message (451/452), as for INBOX.
    private func deliverToJunk(_ bytes: [UInt8], _ mailboxes: [String]) async throws {
        do {
            try await (users ?? store).deliverToJunk(bytes, users: mailboxes)
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        } catch let error as SMTPDeliveryError {
            throw error
        } catch {
            throw SMTPDeliveryError.temporaryFailure("Junk: \(error)")
        }
        incoming.abandon()
    }
}
