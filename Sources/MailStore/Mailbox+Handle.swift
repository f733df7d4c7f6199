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

    /// STORE, and the token after it for a session that was in step with the mailbox.
    ///
    /// The change runs on the mailbox's queue with nothing between the comparison of `token` and the
    /// change (no suspension), so the session that applies the returned messages holds exactly the
    /// state of the token returned. Declared `async` as the requirement is, so that it, not the
    /// protocol's default, is the one called.
    public func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation,
        since token: UInt64?
    ) async throws -> (messages: [MailboxMessage], token: UInt64?) {
        let inStep = token != nil && token == changeCount
        let messages = try changeFlags(uids: uids, flags: flags, keywords: keywords, operation: operation)
        return (messages, inStep ? changeCount : nil)
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

    /// The folder's path and this object: the store hands out one `Mailbox` per folder, and one made
    /// after a folder was deleted and created again is another mailbox (another UIDVALIDITY).
    public nonisolated var identity: String { "\(url.path)#\(UInt(bitPattern: ObjectIdentifier(self).hashValue))" }

    /// A look at the disk: other programs' new files get UIDs, renamed ones new flags.
    public func refresh() throws {
        _ = try synchronize()
    }

    /// `pendingChanges`, with the change count as the token (what a session compares with).
    public func look(since token: UInt64?, claimRecent: Bool) -> MailboxLook {
        noteActivity()
        // The counters are read with the records, on the mailbox's queue: they belong to the same state.
        let counters = MailboxStatus(
            uidValidity: uidValidity,
            uidNext: uidNext,
            highestModSeq: highestModSeq,
            messages: folder?.records.count ?? 0
        )
        if claimRecent {
            let pending = pendingChanges(since: token)
            return MailboxLook(
                token: pending.changeCount,
                status: counters,
                messages: pending.records?.map(\.message),
                recent: pending.recent
            )
        }
        let messages = token == changeCount ? nil : snapshot().map(\.message)
        return MailboxLook(token: changeCount, status: counters, messages: messages, recent: [])
    }

    /// The messages this process moved out of new/ (claimed by a session or not).
    public func recentCount() -> Int {
        snapshot().count { $0.isRecent }
    }

    /// The records of `uids` found by binary search in the folder's UID order.
    public func messages(uids: [UInt32]) -> [MailboxMessage?] {
        noteActivity()
        let records = snapshot()
        return uids.map { uid in
            var low = 0
            var high = records.count - 1
            while low <= high {
                let middle = (low + high) / 2
                if records[middle].uid == uid { return records[middle].message }
                if records[middle].uid < uid { low = middle + 1 } else { high = middle - 1 }
            }
            return nil
        }
    }

    /// Writes the caches as soon as clients pause, rather than at the next change's delay.
    public func flushCaches() async {
        scheduleCacheWrite(after: .zero)
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
