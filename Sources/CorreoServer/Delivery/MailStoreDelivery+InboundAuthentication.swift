import MailStore
import NIOPosix
import SMTPServer

extension MailStoreIncomingMessage {
    /// Local delivery with the sender checks: the message, already whole in STORAGE/tmp/, is read back
    /// (up to `InboundAuthentication.maximumCheckedSize`), checked, then refused, delivered into Junk, or
    /// delivered with the Authentication-Results field.
    ///
    /// Nothing is delivered before the verdict, so a refusal leaves nothing behind (MessageStream discards the
    /// message).
    func deliver(to mailboxes: [String], origin: SMTPMessageOrigin) async throws {
        guard let inbound, inbound.applies(to: origin) else { return try await deliver(to: mailboxes) }
        let incoming = self.incoming
        let limit = inbound.maximumCheckedSize
        let bytes = try await threadPool.runIfActive { try incoming.contents(upTo: limit) }
        switch await inbound.decide(bytes, size: incoming.size, origin: origin) {
        case .unchecked: try await deliver(to: mailboxes)
        case .deliver(let checked): try await replaced(by: checked).deliver(to: mailboxes)
        case .junk(let checked): try await deliverToJunk(checked, mailboxes)
        case .refuse(let reason): throw SMTPDeliveryError.refused(reason)
        }
    }

    /// The same delivery for `bytes` in place of what was received (which is dropped): the message with
    /// its new header field goes through the same group commit as any other.
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
            threadPool: threadPool,
            queued: queued,
            inbound: nil
        )
    }

    /// Appends `bytes` durably to each recipient's Junk folder (the one marked `\Junk`, RFC 6154; made
    /// as "Junk" when the user has none).
    ///
    /// Any failure fails the whole message (451/452), as for INBOX.
    private func deliverToJunk(_ bytes: [UInt8], _ mailboxes: [String]) async throws {
        do {
            for user in mailboxes {
                let folder = try await Self.junkFolder(of: user, in: store)
                _ = try await folder.append(bytes: bytes)
            }
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        } catch let error as SMTPDeliveryError {
            throw error
        } catch {
            throw SMTPDeliveryError.temporaryFailure("Junk: \(error)")
        }
        incoming.abandon()
    }

    static func junkFolder(of user: String, in store: MailStore) async throws -> Mailbox {
        let folders = try await store.listMailboxes(user: user)
        if let junk = folders.first(where: { $0.specialUse == .junk }) {
            return try await store.mailbox(user: user, name: junk.name)
        }
        let name = try MailboxName(["Junk"])
        // Another delivery may make it at the same moment: a failure here shows in the look-up below.
        if !folders.contains(where: { $0.name == name }) { try? await store.createMailbox(user: user, name: name) }
        return try await store.mailbox(user: user, name: name)
    }
}
