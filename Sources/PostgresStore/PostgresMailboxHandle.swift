import Foundation
import MailStorage

/// A mailbox of the PostgreSQL store as every backend's open mailbox: `MailboxHandle` over the store's
/// calls, each its own transaction (or statement) committed before it returns.
public struct PostgresMailboxHandle: MailboxHandle {
    /// The store that holds the mailbox.
    public let store: PostgresMailStore
    /// The mailbox's row.
    public let mailbox: PostgresMailbox

    /// `mailbox` of `store`.
    public init(store: PostgresMailStore, mailbox: PostgresMailbox) {
        self.store = store
        self.mailbox = mailbox
    }

    /// The mailbox's name.
    public var name: MailboxName { mailbox.name }

    /// The counters, read in one statement.
    public func status() async throws -> MailboxStatus {
        try await store.state(of: mailbox)
    }

    /// The messages changed after `modSeq`, by UID.
    public func messages(changedSince modSeq: UInt64) async throws -> [MailboxMessage] {
        try await store.messages(in: mailbox, changedSince: modSeq)
    }

    /// APPEND, committed before the UID is returned.
    public func append(
        bytes: [UInt8],
        flags: MessageFlags,
        keywords: [String],
        internalDate: Date
    ) async throws -> UInt32 {
        try await store.append(bytes, to: mailbox, flags: flags, keywords: keywords, internalDate: internalDate)
    }

    /// STORE under the mailbox row's lock.
    public func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation
    ) async throws -> [MailboxMessage] {
        try await store.setFlags(uids: uids, in: mailbox, flags: flags, keywords: keywords, operation: operation)
    }

    /// EXPUNGE or UID EXPUNGE, recorded for VANISHED.
    public func expunge(uids: [UInt32]?) async throws -> [UInt32] {
        try await store.expunge(in: mailbox, uids: uids)
    }

    /// COPY: the copies share the originals' bodies.
    public func copyMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)] {
        let target = try sameStore(destination)
        return try await store.copy(uids: uids, from: mailbox, to: target).map { ($0.source, $0.destination) }
    }

    /// MOVE: copy and expunge in one transaction.
    public func moveMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)] {
        let target = try sameStore(destination)
        return try await store.move(uids: uids, from: mailbox, to: target).map { ($0.source, $0.destination) }
    }

    /// The message's bytes, from its chunks.
    public func readMessage(uid: UInt32) async throws -> [UInt8] {
        try await store.readMessage(uid: uid, in: mailbox)
    }

    /// Every committed change of the mailbox, on any node, through this node's one `LISTEN`.
    public func changeSignals() async -> AsyncStream<Void> {
        await store.changeHub.subscribe(to: mailbox.id)
    }

    // MARK: What a selected mailbox needs

    /// "postgres:" and the mailbox row's id: every handle of the mailbox has it, and a RENAME keeps it.
    public var identity: String { "postgres:\(mailbox.id)" }

    /// Nothing to take in: every change goes through the database.
    public func refresh() async throws {}

    /// The counters and, unless `token` is still HIGHESTMODSEQ (the token), every message.
    ///
    /// Nothing is ever `\Recent` here: the flag belongs to one server process's sessions (RFC 3501 2.3.2
    /// "only one session"), which several nodes on one database cannot agree on without writing for every
    /// SELECT, and RFC 9051 (IMAP4rev2) dropped it. An empty set is what RFC 3501 allows a server that
    /// does not track it; `claimRecent` is therefore ignored.
    public func look(since token: UInt64?, claimRecent: Bool) async throws -> MailboxLook {
        let found = try await store.look(at: mailbox, since: token)
        return MailboxLook(
            token: found.status.highestModSeq,
            status: found.status,
            messages: found.messages,
            recent: []
        )
    }

    /// Always 0: no `\Recent` tracking (see `look(since:claimRecent:)`).
    public func recentCount() async throws -> Int { 0 }

    /// The messages of `uids` in one statement, in the order asked.
    public func messages(uids: [UInt32]) async throws -> [MailboxMessage?] {
        try await store.messages(uids: uids, in: mailbox)
    }

    /// The header sections of `uids`, from the chunks that hold them only.
    public func headerSections(uids: [UInt32]) async throws -> [[UInt8]?] {
        try await store.headerSections(uids: uids, in: mailbox)
    }

    /// The whole messages of `uids` in one statement.
    public func readMessages(uids: [UInt32]) async throws -> [[UInt8]?] {
        try await store.readMessages(uids: uids, in: mailbox)
    }

    /// Bytes `range` of message `uid`, from the chunks that cover it.
    public func readMessage(uid: UInt32, range: Range<Int>) async throws -> [UInt8] {
        try await store.readMessage(uid: uid, range: range, in: mailbox)
    }

    /// The values of `kind` kept for the bodies of `uids`.
    public func derivedValues(uids: [UInt32], kind: String) async throws -> [[UInt8]?] {
        try await store.derivedValues(uids: uids, kind: kind, in: mailbox)
    }

    /// Keeps `values` for the bodies of their UIDs, shared by every copy of a body.
    public func storeDerivedValues(_ values: [DerivedValue], kind: String) async throws {
        try await store.storeDerivedValues(values, kind: kind, in: mailbox)
    }

    /// Nothing to write: everything is in the database already.
    public func flushCaches() async {}

    /// The destination as a mailbox of this database: a copy shares bodies, so it cannot leave it.
    private func sameStore(_ destination: any MailboxHandle) throws -> PostgresMailbox {
        guard let target = destination as? PostgresMailboxHandle, target.store === store else {
            throw MailStoreError.mailboxNotFound(destination.name.description)
        }
        return target.mailbox
    }
}

extension PostgresMailStore {
    /// The mailbox `name` of `user` for its messages; `MailStoreError.mailboxNotFound` when there is none.
    public func openMailbox(user: String, name: MailboxName) async throws -> any MailboxHandle {
        PostgresMailboxHandle(store: self, mailbox: try await mailbox(user: user, name: name))
    }
}
