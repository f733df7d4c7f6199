import Foundation

/// One message of a mailbox as every backend describes it: what FETCH FLAGS, RFC822.SIZE,
/// INTERNALDATE and MODSEQ show (RFC 3501 2.3, RFC 7162 3.1.3).
public struct MailboxMessage: Hashable, Sendable {
    /// RFC 3501 2.3.1.1: unique and ascending in the mailbox, never reused.
    public var uid: UInt32
    /// The system flags.
    public var flags: MessageFlags
    /// The keywords, in the order the backend keeps them.
    public var keywords: [String]
    /// RFC822.SIZE: octets with CRLF line ends.
    public var size: Int
    /// RFC 3501 2.3.3 INTERNALDATE.
    public var internalDate: Date
    /// RFC 7162: the mod-sequence of the message's last change.
    public var modSeq: UInt64

    /// A message as a backend read it.
    public init(uid: UInt32, flags: MessageFlags, keywords: [String], size: Int, internalDate: Date, modSeq: UInt64) {
        self.uid = uid
        self.flags = flags
        self.keywords = keywords
        self.size = size
        self.internalDate = internalDate
        self.modSeq = modSeq
    }
}

/// A mailbox's counters read together (what SELECT and STATUS report).
public struct MailboxStatus: Hashable, Sendable {
    /// RFC 3501 2.3.1.1 UIDVALIDITY.
    public var uidValidity: UInt32
    /// RFC 3501 2.3.1.1 UIDNEXT: above every UID given so far.
    public var uidNext: UInt32
    /// RFC 7162 3.1.2: never goes down.
    public var highestModSeq: UInt64
    /// How many messages the mailbox holds.
    public var messages: Int

    /// Counters as a backend read them.
    public init(uidValidity: UInt32, uidNext: UInt32, highestModSeq: UInt64, messages: Int) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.highestModSeq = highestModSeq
        self.messages = messages
    }
}

/// One open mailbox of one user, whichever backend holds it: the message operations of RFC 3501 6.3.11
/// APPEND, 6.4.3 EXPUNGE, 6.4.6 STORE, 6.4.7 COPY, RFC 6851 MOVE and the reads under FETCH.
///
/// Every write is durable before it returns (the APPEND's `OK` follows it). Every backend gives the same
/// answers, in `MailStoreError`'s words; `MailboxHandleConformanceTests` holds each to them.
public protocol MailboxHandle: Sendable {
    /// The mailbox's name.
    var name: MailboxName { get }
    /// UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the message count, as they are now.
    func status() async throws -> MailboxStatus
    /// The messages whose mod-sequence is above `modSeq` (0: all), by ascending UID.
    func messages(changedSince modSeq: UInt64) async throws -> [MailboxMessage]
    /// RFC 3501 6.3.11 APPEND: stores `bytes` (CRLF line ends) durably; the new UID (RFC 4315 APPENDUID).
    func append(bytes: [UInt8], flags: MessageFlags, keywords: [String], internalDate: Date) async throws -> UInt32
    /// RFC 3501 6.4.6 STORE: changes the flags and keywords of `uids`; the messages among them that
    /// exist, after the change. Only messages that changed get a new mod-sequence.
    func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation
    ) async throws -> [MailboxMessage]
    /// RFC 3501 6.4.3 EXPUNGE (every `\Deleted` message) or RFC 4315 UID EXPUNGE (those among `uids`
    /// that are `\Deleted`); the UIDs removed, ascending.
    func expunge(uids: [UInt32]?) async throws -> [UInt32]
    /// RFC 3501 6.4.7 COPY into `destination` (a mailbox of the same backend), flags, keywords and
    /// INTERNALDATE kept; (source UID, new UID) pairs by ascending source UID (RFC 4315 COPYUID).
    func copyMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)]
    /// RFC 6851 MOVE: as COPY, and the originals removed whatever their flags.
    func moveMessages(uids: [UInt32], to destination: any MailboxHandle) async throws -> [(UInt32, UInt32)]
    /// The bytes of message `uid`; `messageNotFound` when there is none.
    func readMessage(uid: UInt32) async throws -> [UInt8]
    /// Yields whenever the mailbox may have changed — through this handle, another one, another process
    /// or another node — from the moment this returns until the caller stops iterating; the reader then
    /// looks with `messages(changedSince:)` and `status()` (IDLE, NOOP). Repeats may come folded into one.
    func changeSignals() async -> AsyncStream<Void>
}
