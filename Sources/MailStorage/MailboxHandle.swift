import Foundation
import MailCore

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
    /// RFC 3501 2.3.3 INTERNALDATE; nil where the backend has not read it yet, which only a look
    /// (`MailboxHandle.look`), a flag change's answer or `messages(uids:withInternalDates: false)` gives.
    public var internalDate: Date?
    /// RFC 7162: the mod-sequence of the message's last change.
    public var modSeq: UInt64

    /// A message as a backend read it.
    public init(uid: UInt32, flags: MessageFlags, keywords: [String], size: Int, internalDate: Date?, modSeq: UInt64) {
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
/// answers, in `MailStoreError`'s words; the suites in `Tests/MailStorageTests` hold each to them.
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
    /// `changeFlags`, and the look token after it when `token` was current before (see the extension).
    func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation,
        since token: UInt64?
    ) async throws -> (messages: [MailboxMessage], token: UInt64?)
    /// RFC 3501 6.4.3 EXPUNGE (every `\Deleted` message) or RFC 4315 UID EXPUNGE (those among `uids`
    /// that are `\Deleted`); the UIDs removed, ascending.
    @discardableResult
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

    // MARK: What a selected mailbox needs (IMAP SELECT, NOOP, IDLE, FETCH, SEARCH)

    /// Names this mailbox within the process: every handle of one mailbox gives the same string (IDLE
    /// sessions of one mailbox share one watch by it).
    var identity: String { get }
    /// Takes in changes made beside the store (a Maildir's files added or renamed by other programs);
    /// nothing to do where every change goes through the store.
    func refresh() async throws
    /// One look for a session: the counters, every message and a token of the state they are in, or no messages when
    /// `token` is still current and nothing waits to be claimed as `\Recent`. With `claimRecent`, the
    /// messages no session has seen as `\Recent` yet are this caller's (RFC 3501 2.3.2).
    func look(since token: UInt64?, claimRecent: Bool) async throws -> MailboxLook
    /// Whether `look(since: token, claimRecent: true)` would return no messages and claim nothing,
    /// answered without waiting for the mailbox; false when the backend cannot tell (the default).
    func isCurrent(token: UInt64) -> Bool
    /// How many messages are `\Recent` to some session of this server (STATUS RECENT).
    func recentCount() async throws -> Int
    /// The messages of `uids`, in that order, INTERNALDATE included; nil for a UID the mailbox does not hold.
    func messages(uids: [UInt32]) async throws -> [MailboxMessage?]
    /// `messages(uids:)`, where a reader that shows no INTERNALDATE (FETCH FLAGS, a SEARCH by subject)
    /// spares a backend that reads dates lazily the reading: with `false` a date may be nil.
    func messages(uids: [UInt32], withInternalDates: Bool) async throws -> [MailboxMessage?]
    /// The header section (CRLF form, blank line included) of each of `uids`; nil for one that is gone.
    func headerSections(uids: [UInt32]) async throws -> [[UInt8]?]
    /// `headerSections(uids:)`, kept by a backend that caches them only if `keep`: a reader that
    /// keeps what it derives from them (a FETCH of header fields) need not leave whole headers behind.
    func headerSections(uids: [UInt32], keep: Bool) async throws -> [[UInt8]?]
    /// The lines of the header fields called one of `names` (`MessageHeader.fieldLines`) of each of
    /// `uids`; nil for one that is gone. A backend holding the header sections answers without copying them.
    func headerFields(uids: [UInt32], named names: [String]) async throws -> [[UInt8]?]
    /// The whole messages (CRLF form) of `uids`; nil for one that is gone.
    func readMessages(uids: [UInt32]) async throws -> [[UInt8]?]
    /// `messages(uids:withInternalDates:)` and, in the same call, the whole messages of its first
    /// records (`WholeMessageRun`), by UID: a FETCH of bodies asks the store once, not twice.
    func messages(
        uids: [UInt32],
        withInternalDates: Bool,
        readingWhole run: WholeMessageRun
    ) async throws -> (records: [MailboxMessage?], contents: [UInt32: [UInt8]])
    /// Message `uid`'s record and whole CRLF form, on the caller's thread and without waiting on any
    /// I/O, when the backend has both in memory; nil otherwise (ask `messages(…readingWhole:)`). An event
    /// loop asks it for a FETCH of one body: the answer costs no hop to another thread.
    func messageIfCached(uid: UInt32, withInternalDates: Bool) -> (message: MailboxMessage, bytes: [UInt8])?
    /// Bytes `range` of message `uid`'s CRLF form, clamped to the message (RFC 3501 BODY[]<start.count>).
    func readMessage(uid: UInt32, range: Range<Int>) async throws -> [UInt8]
    /// The values of `kind` (an encoded BODYSTRUCTURE, ENVELOPE…) kept for `uids`; nil where none is.
    func derivedValues(uids: [UInt32], kind: String) async throws -> [[UInt8]?]
    /// Keeps values of `kind` derived from the messages' content, for `derivedValues` to answer later.
    func storeDerivedValues(_ values: [DerivedValue], kind: String) async throws
    /// Has what is kept only in memory written soon (a session ends), without holding the caller: a
    /// restart finds it.
    func flushCaches() async
}

extension MailboxHandle {
    /// STORE for a session whose view is as of look `token`: `changeFlags`, and the token of the state
    /// after the change when nothing else had changed since `token`; nil otherwise, or where the
    /// backend cannot tell (this default).
    ///
    /// A session that applied the returned messages is then current at that token, and its next look
    /// finds nothing to compare instead of comparing every message of the mailbox.
    public func changeFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String],
        operation: FlagOperation,
        since token: UInt64?
    ) async throws -> (messages: [MailboxMessage], token: UInt64?) {
        (try await changeFlags(uids: uids, flags: flags, keywords: keywords, operation: operation), nil)
    }

    /// Unknown here: the caller looks.
    public func isCurrent(token: UInt64) -> Bool { false }

    /// Nothing is known without asking the backend.
    public func messageIfCached(uid: UInt32, withInternalDates: Bool) -> (message: MailboxMessage, bytes: [UInt8])? {
        nil
    }

    /// Every message with its date, as a backend that always holds them gives it.
    public func messages(uids: [UInt32], withInternalDates: Bool) async throws -> [MailboxMessage?] {
        try await messages(uids: uids)
    }

    /// The records, then the run's messages: two calls, for a backend with nothing better.
    public func messages(
        uids: [UInt32],
        withInternalDates: Bool,
        readingWhole run: WholeMessageRun
    ) async throws -> (records: [MailboxMessage?], contents: [UInt32: [UInt8]]) {
        let records = try await messages(uids: uids, withInternalDates: withInternalDates)
        let read = Array(uids.prefix(run.end(in: records)))
        return (records, WholeMessageRun.byUID(read, try await readMessages(uids: read)))
    }

    /// The header sections, kept as the backend always does.
    public func headerSections(uids: [UInt32], keep: Bool) async throws -> [[UInt8]?] {
        try await headerSections(uids: uids)
    }

    /// Cut from the header sections: right for every backend, and no cheaper than them.
    public func headerFields(uids: [UInt32], named names: [String]) async throws -> [[UInt8]?] {
        try await headerSections(uids: uids).map { header in
            header?.withUnsafeBufferPointer { MessageHeader.fieldLines(named: names, in: $0) }
        }
    }
}

/// A value derived from one message's content (what `MailboxHandle.storeDerivedValues` keeps).
public typealias DerivedValue = (uid: UInt32, value: [UInt8])

/// What `MailboxHandle.look(since:claimRecent:)` found.
public struct MailboxLook: Sendable {
    /// Two looks with the same token saw the same messages with the same flags.
    public var token: UInt64
    /// The counters as of this look (SELECT's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ).
    public var status: MailboxStatus
    /// Every message by ascending UID; nil when the token asked about is still current.
    public var messages: [MailboxMessage]?
    /// The UIDs this look claimed as `\Recent` for the caller.
    public var recent: Set<UInt32>

    /// A look as a backend made it.
    public init(token: UInt64, status: MailboxStatus, messages: [MailboxMessage]?, recent: Set<UInt32>) {
        self.token = token
        self.status = status
        self.messages = messages
        self.recent = recent
    }
}

/// Which records' whole messages `messages(uids:withInternalDates:readingWhole:)` reads with them.
///
/// The first ones, at most `count`, while their sizes add up to no more than `bytes` (the first always,
/// whatever its size). A record that is gone counts nothing.
public struct WholeMessageRun: Sendable, Hashable {
    /// The most messages read.
    public var count: Int
    /// The most bytes read, unless the first message alone is bigger.
    public var bytes: Int

    /// A run of at most `count` messages and `bytes` bytes.
    public init(count: Int, bytes: Int) {
        self.count = count
        self.bytes = bytes
    }

    /// The messages read for `uids` (nil: gone), by UID.
    public static func byUID(_ uids: [UInt32], _ contents: [[UInt8]?]) -> [UInt32: [UInt8]] {
        var byUID: [UInt32: [UInt8]] = [:]
        for (uid, bytes) in zip(uids, contents) { if let bytes { byUID[uid] = bytes } }
        return byUID
    }

    /// How many of `records`, from the first, the run takes.
    public func end(in records: [MailboxMessage?]) -> Int {
        end(count: records.count) { records[$0]?.size ?? 0 }
    }

    /// How many of `count` items, from the first, the run takes, item `i` being `size(i)` bytes.
    public func end(count total: Int, size: (Int) -> Int) -> Int {
        let limit = min(count, total)
        var end = 0
        var sum = 0
        while end < limit, end == 0 || sum + size(end) <= bytes {
            sum += size(end)
            end += 1
        }
        return end
    }
}
