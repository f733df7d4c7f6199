import Foundation
import Logging
import MailCore
import Synchronization

/// One folder of one user, shared by every session of this process (get it from
/// `MailStore.mailbox(user:name:)`), so a change made through one session is seen by the others.
///
/// File work runs on the mailbox's own Dispatch queue (its actor executor), never on Swift's
/// cooperative pool. Changes reach `changes()` listeners at once when they come through this process
/// (deliveries, other sessions); changes by other processes or programs are noticed through inotify
/// (`DirectoryWatcher`) and, as a fallback, by a poll of the folders' modification times every
/// `MailStoreDefaults.changePollInterval` while someone listens.
public actor Mailbox {
    /// The folder's name.
    public nonisolated let name: MailboxName
    /// The owner's address, lowercased.
    public nonisolated let user: String
    /// The Maildir folder on disk.
    public nonisolated let url: URL

    /// The mailbox's own queue, as an executor; its timers (`runAfter`) run there too.
    nonisolated let executor: DispatchQueueExecutor
    let logger: Logger
    private let newValidity: @Sendable () throws -> UInt32
    var folder: MaildirFolder? {
        // Before any change (`withFolder` first sets nil) and after it: readers off the queue ask again.
        didSet {
            published.withdraw()
            noteLookState()
        }
    }
    /// What a look would find, for sessions that ask without a hop (`Mailbox+LookState.swift`).
    nonisolated let lookState = Atomic<UInt64>(LookState.mustLook)
    /// Scans of cur/ the open folder made when asked to look (for tests; `settle`'s are counted apart).
    var folderScans: Int { (folder?.scans ?? 0) - settleScans }
    /// Scans `settle` made since the folder was opened (for tests).
    var settleScans = 0
    var settleScheduled = false, cacheWriteScheduled = false, renameTurnQueued = false
    /// When a client last asked something of the mailbox (a look, a change): settling waits for a pause.
    var lastActivity = ContinuousClock.now
    /// The latest a scheduled settle waits for that pause.
    var settleDeadline = ContinuousClock.now
    /// How long a settle may wait for clients to pause (tests change it).
    var settleLongestWait = MailStoreDefaults.settleLongestWait
    /// How long after a change `settle` waits (tests lengthen it to act within the wait).
    var settleDelay = MailStoreDefaults.settleDelay
    /// The records offered to readers off the mailbox's queue (see `Mailbox+Published.swift`).
    nonisolated let published = PublishedRecords()
    /// How clients read bodies one at a time, noted on the queue and off it (`Mailbox+ReadAhead.swift`).
    nonisolated let bodyReads = BodyReads()
    /// Header sections and other derived values (see `Mailbox+Derived.swift`).
    var derived: DerivedCache
    /// Counts the changes published (a cheap "did anything change since" for sessions).
    public private(set) var changeCount: UInt64 = 0
    private(set) var removed = false
    private var listeners: [UUID: AsyncStream<MailboxChanges>.Continuation] = [:]
    private var pollTask: Task<Void, Never>?
    private var watch: DirectoryWatcher.Token?
    /// Set from the watcher's thread when a look at the disk is queued: a burst of events costs one.
    private nonisolated let lookQueued = Mutex(false)
    /// When the scheduled cache write is due; it then waits for clients to pause, as a settle does.
    var cacheWriteDue = ContinuousClock.now
    /// Writes the cache files in the order their copies were taken, off the mailbox's queue.
    nonisolated let cacheWriter = DispatchQueue(label: "correo.mailbox.cache-writer", qos: .utility)

    /// The mailbox's own Dispatch queue, so its file work stays off the cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(
        user: String,
        name: MailboxName,
        url: URL,
        logger: Logger,
        newValidity: @escaping @Sendable () throws -> UInt32
    ) {
        self.user = user
        self.name = name
        self.url = url
        self.logger = logger
        self.newValidity = newValidity
        executor = DispatchQueueExecutor(label: "correo.mailbox")
        derived = DerivedCache(folder: url.path, limit: MailStoreDefaults.derivedCacheBytesPerMailbox)
    }

    /// Loads the folder on first use (the uidlist, the cache, a first scan).
    func open() throws {
        if folder != nil, !POSIX.isMaildir(url.path) {
            // Deleted by another process since this process opened it.
            invalidate()
        }
        _ = try loaded()
    }

    func loadedFolder() throws -> MaildirFolder { try loaded() }

    private func loaded() throws -> MaildirFolder {
        if removed { throw MailStoreError.mailboxNotFound(name.description) }
        if let folder { return folder }
        let opened = try MaildirFolder(path: url.path, name: name, newValidity: newValidity)
        folder = opened
        settleScans = 0
        scheduleCacheWrite()
        scheduleSettle()
        return opened
    }

    /// Runs `body` on the loaded folder and writes its state back.
    func withFolder<T>(_ body: (inout MaildirFolder) throws -> T) throws -> T {
        _ = try loaded()
        guard var current = folder else { throw MailStoreError.mailboxNotFound(name.description) }
        folder = nil  // keep `current` the only reference, so changing it does not copy the records
        defer {
            folder = current
            scheduleCacheWrite()
        }
        return try body(&current)
    }

    /// Called by the store when the folder is deleted or renamed: later calls throw `mailboxNotFound`.
    func invalidate() {
        removed = true
        folder = nil
        for listener in listeners.values { listener.finish() }
        listeners = [:]
        stopWatching()
    }

    // MARK: - State

    /// RFC 3501 2.3.1.1 UIDVALIDITY: fixed when the folder got its uidlist.
    public var uidValidity: UInt32 { folder?.uidValidity ?? 0 }
    /// RFC 3501 2.3.1.1 UIDNEXT: the UID the next message will get.
    public var uidNext: UInt32 { folder?.uidNext ?? 1 }
    /// RFC 7162 HIGHESTMODSEQ.
    public var highestModSeq: UInt64 { folder?.highestModSeq ?? 0 }

    /// The messages in UID order, as of the last `synchronize()` or change made here; a date not read
    /// yet is nil (`datedSnapshot()` reads them).
    public func snapshot() -> [MessageRecord] { folder?.records ?? [] }

    /// `snapshot()` with every message's INTERNALDATE, read now where no one asked before: for readers
    /// that show or copy every date (a migration, the developer view's list).
    public func datedSnapshot() throws -> [MessageRecord] {
        try readInternalDates(at: Array(snapshot().indices))
        return snapshot()
    }

    /// Takes in what changed on disk and tells the listeners.
    ///
    /// New mail moved from new/ to cur/ and given UIDs, files deleted or renamed (flags changed) by other programs. Listeners
    /// hear about it too.
    @discardableResult
    public func synchronize() throws -> MailboxChanges {
        let scansBefore = folder?.scans
        let changes = try withFolder { try $0.synchronize() }
        publish(changes)
        // Only a scan can leave a stamp that proves nothing: a look that trusted the stamp made none,
        // and every command looks, so it is not asked for three more stats.
        if folder?.scans != scansBefore { scheduleSettle() }
        return changes
    }

    /// Claims the `\Recent` messages (RFC 3501 §2.3.2) that no session has claimed yet.
    ///
    /// RFC 3501 2.3.2 `\Recent`: the UIDs this process found in new/ that no session has claimed.
    /// The first session to call this (at SELECT, or when it learns of new mail) owns them.
    public func claimRecent() -> Set<UInt32> {
        guard var current = folder else { return [] }
        let claimed = current.claimRecent()
        folder = current
        return claimed
    }

    // MARK: - Changing messages

    /// Changes the flags and keywords of `uids` (RFC 3501 §6.4.6 STORE) and returns their records.
    ///
    /// RFC 3501 6.4.6 STORE (+FLAGS, -FLAGS, FLAGS): the records of the UIDs that exist, a big change's
    /// renames following the answer (`Mailbox+RenamesBehind.swift`). Keywords: `dovecot-keywords`, 26 at most.
    @discardableResult
    public func setFlags(
        uids: [UInt32],
        flags: MessageFlags,
        keywords: [String] = [],
        operation: FlagOperation
    ) throws -> [MessageRecord] {
        noteActivity()
        let behind = uids.count >= MailStoreDefaults.renamesBehindThreshold
        let result = try withFolder {
            try $0.setFlags(uids: uids, flags: flags, keywords: keywords, operation: operation, behind: behind)
        }
        if !result.changed.isEmpty {
            var changes = MailboxChanges()
            changes.flagsChanged = result.changed
            changes.uidNext = uidNext
            changes.highestModSeq = highestModSeq
            publish(changes)
            scheduleSettle()  // renames made now moved cur/'s time (those behind schedule their own)
        }
        if folder?.renamesBehind.isEmpty == false { scheduleRenamesBehind() }
        return result.all
    }

    /// RFC 3501 6.4.3 EXPUNGE (all `\Deleted` messages) or RFC 4315 UID EXPUNGE (those among `uids`).
    @discardableResult
    public func expunge(uids: [UInt32]? = nil) throws -> [UInt32] {
        noteActivity()
        let expunged = try withFolder { try $0.expunge(uids: uids) }
        if !expunged.isEmpty {
            var changes = MailboxChanges()
            changes.expunged = expunged
            changes.uidNext = uidNext
            changes.highestModSeq = highestModSeq
            publish(changes)
            scheduleSettle()
        }
        return expunged
    }

    /// RFC 3501 6.3.11 APPEND: stores `bytes` as given (the caller makes them CRLF), durably (file
    /// fsynced, cur/ fsynced) before returning its UID (RFC 4315 APPENDUID).
    public func append(
        bytes: [UInt8],
        flags: MessageFlags = [],
        keywords: [String] = [],
        internalDate: Date = Date()
    ) throws -> UInt32 {
        let current = try loaded()
        let temporary = current.tmpPath + "/" + MaildirFileName.uniqueBase(size: bytes.count, crlfSize: 0)
        try MaildirFolder.writeDurably(bytes, to: temporary, modified: internalDate)
        defer { try? POSIX.unlink(temporary) }
        let incoming = MaildirFolder.Incoming(
            sourcePath: temporary,
            size: bytes.count,
            crlfSize: bytes.count + LineEnds.bareLineFeedCount(in: bytes),
            internalDate: internalDate,
            flags: flags,
            keywords: keywords
        )
        let uids = try withFolder { try $0.add([incoming]) }
        try synchronize()
        guard let uid = uids.first else { throw MailStoreError.messageNotFound(uid: 0) }
        return uid
    }

    /// RFC 3501 6.3.11 APPEND of a big literal streamed into `MailStore.beginDelivery()`: the message
    /// is fsynced and hard-linked into cur/ (no second copy), durably, and its UID returned.
    public func append(
        _ message: IncomingMessage,
        flags: MessageFlags = [],
        keywords: [String] = [],
        internalDate: Date = Date()
    ) throws -> UInt32 {
        _ = try loaded()
        let (size, crlfSize) = try message.finish(modified: internalDate)
        defer { try? POSIX.unlink(message.path) }
        let incoming = MaildirFolder.Incoming(
            sourcePath: message.path,
            size: size,
            crlfSize: crlfSize,
            internalDate: internalDate,
            flags: flags,
            keywords: keywords
        )
        let uids = try withFolder { try $0.add([incoming]) }
        try synchronize()
        guard let uid = uids.first else { throw MailStoreError.messageNotFound(uid: 0) }
        return uid
    }

    /// RFC 3501 6.4.7 COPY / RFC 4315 COPYUID: hard-links the messages into `destination` (copying
    /// only across file systems) with their flags; returns (source UID, destination UID) pairs.
    public func copy(uids: [UInt32], to destination: Mailbox) async throws -> [(UInt32, UInt32)] {
        // A copy keeps INTERNALDATE (RFC 3501 6.4.7): a link keeps the mtime, a copy across file
        // systems sets it, and the new name begins with it.
        writeRenamesBehind(uids: uids)  // the names taken here must hold while the destination links them
        try readInternalDates(at: uids.compactMap { folder?.index(of: $0) })
        let current = try loaded()
        let wanted = Set(uids)
        let records = current.records.filter { wanted.contains($0.uid) }
        guard !records.isEmpty else { return [] }
        let files = records.map { current.incoming(for: $0) }
        if destination === self {
            let newUIDs = try receive(files)
            return Array(zip(records.map(\.uid), newUIDs))
        }
        let newUIDs = try await destination.receive(files)
        return Array(zip(records.map(\.uid), newUIDs))
    }

    /// RFC 6851 MOVE: copy, then remove the originals (whatever their `\Deleted` flag).
    public func move(uids: [UInt32], to destination: Mailbox) async throws -> [(UInt32, UInt32)] {
        let pairs = try await copy(uids: uids, to: destination)
        let moved = pairs.map(\.0)
        try withFolder { folder in
            _ = try folder.setFlags(uids: moved, flags: .deleted, keywords: [], operation: .add)
        }
        try expunge(uids: moved)
        return pairs
    }

    private func receive(_ files: [MaildirFolder.Incoming]) throws -> [UInt32] {
        let uids = try withFolder { try $0.add(files) }
        try synchronize()
        return uids
    }

    // MARK: - Change notifications

    /// A stream of every change this mailbox sees from now on.
    ///
    /// Deliveries, other sessions' stores and expunges, and other processes' changes found by polling. End it by
    /// cancelling the iterating task.
    public func changes() -> AsyncStream<MailboxChanges> {
        let (stream, continuation) = AsyncStream<MailboxChanges>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = UUID()
        listeners[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeListener(id) }
        }
        startPolling()
        return stream
    }

    private func removeListener(_ id: UUID) {
        listeners[id] = nil
        if listeners.isEmpty { stopWatching() }
    }

    func publish(_ changes: MailboxChanges) {
        guard !changes.isEmpty else { return }
        changeCount &+= 1
        noteLookState()
        for listener in listeners.values { listener.yield(changes) }
    }

    private func startPolling() {
        guard pollTask == nil, !removed else { return }
        watch = DirectoryWatcher.shared?.watch([url.path + "/new", url.path + "/cur"]) { [weak self] in
            guard let self,
                self.lookQueued.withLock({ queued in
                    defer { queued = true }
                    return !queued
                })
            else {
                return
            }
            Task { await self.watcherFired() }
        }
        pollTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: MailStoreDefaults.changePollInterval)
                guard let self else { return }
                await self.pollOnce()
            }
        }
    }

    private func stopWatching() {
        pollTask?.cancel()
        pollTask = nil
        if let watch { DirectoryWatcher.shared?.unwatch(watch) }
        watch = nil
    }

    private func watcherFired() {
        lookQueued.withLock { $0 = false }
        pollOnce()
    }

    private func pollOnce() {
        guard let current = folder, current.directoriesChanged() else { return }
        do {
            try synchronize()
        } catch {
            logger.warning("rescan failed", metadata: ["mailbox": "\(name)", "error": "\(error)"])
        }
    }
}
