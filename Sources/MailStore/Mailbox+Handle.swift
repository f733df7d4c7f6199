import Foundation

/// A Maildir folder as every backend's open mailbox: `MailboxHandle` over `Mailbox`'s own calls. Reads
/// look at the disk first, as NOOP does, so that another process's deliveries are seen.
extension Mailbox: MailboxHandle {
    /// The counters after a look at the disk.
    public func status() throws -> MailboxStatus {
        _ = try synchronize()
        return MailboxStatus(
            uidValidity: uidValidity,
            uidNext: uidNext,
            highestModSeq: highestModSeq,
            messages: snapshot().count
        )
    }

    /// The records changed after `modSeq`, after a look at the disk.
    public func messages(changedSince modSeq: UInt64) throws -> [MailboxMessage] {
        _ = try synchronize()
        return snapshot().filter { $0.modSeq > modSeq }.map(\.message)
    }

    /// STORE through `setFlags` (keyword letters in dovecot-keywords).
    public func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation
    ) throws -> [MailboxMessage] {
        try setFlags(uids: uids, flags: flags, keywords: keywords, operation: operation).map(\.message)
    }

    /// COPY by hard links into another Maildir folder.
    public func copyMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)] {
        try await copy(uids: uids, to: try Self.sameBackend(destination))
    }

    /// MOVE: COPY, then the originals expunged.
    public func moveMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)] {
        try await move(uids: uids, to: try Self.sameBackend(destination))
    }

    /// `changes()` without their details: this process's changes at once, other processes' as the
    /// folder watch sees them.
    public func changeSignals() -> AsyncStream<Void> {
        let changes = changes()
        let (signals, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let relay = Task {
            for await _ in changes { continuation.yield() }
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        return signals
    }

    /// A Maildir copy links files: the destination must be a Maildir folder too.
    private static func sameBackend(_ destination: any MailboxHandle) throws -> Mailbox {
        guard let mailbox = destination as? Mailbox else {
            throw MailStoreError.mailboxNotFound(destination.name.description)
        }
        return mailbox
    }
}

extension MessageRecord {
    /// What every backend says of a message (no file name, no `\Recent`).
    public var message: MailboxMessage {
        MailboxMessage(
            uid: uid,
            flags: flags,
            keywords: keywords,
            size: size,
            internalDate: internalDate,
            modSeq: modSeq
        )
    }
}
