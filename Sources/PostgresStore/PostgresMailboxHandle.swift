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
        let state = try await store.state(of: mailbox)
        return MailboxStatus(
            uidValidity: state.uidValidity,
            uidNext: state.uidNext,
            highestModSeq: state.highestModSeq,
            messages: state.messages
        )
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
