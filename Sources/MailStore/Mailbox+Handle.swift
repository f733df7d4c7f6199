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

    /// The records changed after `modSeq`, with their dates, after a look at the disk.
    public func messages(changedSince modSeq: UInt64) throws -> [MailboxMessage] {
        _ = try synchronize()
        let changed = snapshot().indices.filter { index in folder?.records[index].modSeq ?? 0 > modSeq }
        try readInternalDates(at: changed)
        let records = snapshot()
        return changed.map { records[$0].message }
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

    /// The records of `uids` with their dates (read now where no one asked before).
    public func messages(uids: [UInt32]) throws -> [MailboxMessage?] {
        try lookUp(uids: uids, withInternalDates: true)
    }

    /// The records of `uids` found by binary search in the folder's UID order; with
    /// `withInternalDates`, the dates not read yet are read first (`MaildirFolder+InternalDates.swift`).
    ///
    /// Declared `async` as the requirement is, so that it, not the protocol's default, is the one called.
    public func messages(uids: [UInt32], withInternalDates: Bool) async throws -> [MailboxMessage?] {
        try lookUp(uids: uids, withInternalDates: withInternalDates)
    }

    func lookUp(uids: [UInt32], withInternalDates: Bool) throws -> [MailboxMessage?] {
        noteActivity()
        let indexes = uids.map { folder?.index(of: $0) }
        if withInternalDates { try readInternalDates(at: indexes.compactMap { $0 }) }
        let records = snapshot()
        return indexes.map { $0.map { records[$0].message } }
    }

    /// Reads the dates not read yet of the records at `indexes`; nothing changes when all are known.
    ///
    /// The folder's records are changed in place (no reader holds them meanwhile): the dates are no
    /// change a session is told of, so neither the change count nor the look token moves.
    func readInternalDates(at indexes: [Int]) throws {
        guard indexes.contains(where: { folder?.records[$0].internalDate == nil }) else { return }
        try withFolder { $0.readInternalDates(at: indexes) }
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
