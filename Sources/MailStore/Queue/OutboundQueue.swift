import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The durable outbound queue in STORAGE/queue/.
///
/// `messages/ID` holds a message's bytes as received (never changed), `envelopes/ID` its envelope and delivery state
/// (JSON, replaced atomically), `tmp/` what is being written. A message is queued once its envelope exists; both are
/// fsynced, with their folders, before the SMTP 250. Several processes may use it at once (the server's runner and
/// `correo queue`): every change of an envelope is a read-modify-write under an flock(2).
public final class OutboundQueue: Sendable {
    /// STORAGE/queue.
    public let path: String
    let logger: Logger

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    var messagesPath: String { path + "/messages" }
    var envelopesPath: String { path + "/envelopes" }
    var temporaryPath: String { path + "/tmp" }
    private var lockPath: String { path + "/.lock" }

    /// A new queue id: the arrival second in base 36, then 8 random base-36 digits — sortable by age,
    /// unique without coordination, and safe as a file name.
    public static func newID(now: Date = Date()) -> String {
        let seconds = String(UInt64(max(0, now.timeIntervalSince1970)), radix: 36)
        let random = String(UInt64.random(in: 0..<2_821_109_907_456), radix: 36)  // 36^8
        return seconds + String(repeating: "0", count: 8 - random.count) + random
    }

    /// Whether `id` can name a queue file (letters and digits only: nothing can leave the queue folder).
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }
    }

    /// Makes the queue's folders (0700) if missing.
    func prepare() throws {
        if !POSIX.isDirectory(path) {
            let root = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(
                atPath: root,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        var created = false
        for folder in [path, messagesPath, envelopesPath, temporaryPath] where try POSIX.makeDirectory(folder) {
            created = true
        }
        if created { try POSIX.syncDirectory(path) }
    }

    /// The file holding message `id`'s bytes.
    public func messagePath(_ id: String) -> String { messagesPath + "/" + id }

    /// Message `id`'s bytes.
    public func message(_ id: String) throws -> [UInt8] {
        guard Self.isValidID(id) else { throw MailStoreError.invalidAddress(id) }
        return try POSIX.readFile(messagePath(id))
    }

    /// The envelope of message `id`, or nil when it is not (or no longer) queued.
    public func envelope(_ id: String) throws -> QueueEnvelope? {
        guard Self.isValidID(id) else { return nil }
        let file = envelopesPath + "/" + id
        guard POSIX.fileExists(file) else { return nil }
        return try Self.decode(try POSIX.readFile(file), path: file)
    }

    /// Every queued message's envelope, oldest first; an unreadable envelope is logged and skipped.
    public func list() throws -> [QueueEnvelope] {
        guard POSIX.isDirectory(envelopesPath) else { return [] }
        return try POSIX.listDirectory(envelopesPath).filter(Self.isValidID).sorted().compactMap { id in
            do {
                return try envelope(id)
            } catch {
                logger.error("unreadable queue envelope", metadata: ["queue_id": "\(id)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// Changes message `id`'s envelope durably, under the queue's lock.
    ///
    /// It is read again under the lock, so that a `correo queue hold` made meanwhile is not overwritten. Returns the new
    /// envelope, nil when the message is gone. When `body` leaves nothing pending and `removeWhenFinished`, the message
    /// leaves the queue.
    @discardableResult
    public func update(
        _ id: String,
        removeWhenFinished: Bool = true,
        _ body: (inout QueueEnvelope) -> Void
    ) throws -> QueueEnvelope? {
        // Nothing was ever queued: there is no lock file to take, and nothing to change.
        guard POSIX.isDirectory(path) else { return nil }
        return try POSIX.withExclusiveLock(lockPath) {
            guard var envelope = try envelope(id) else { return nil }
            body(&envelope)
            if removeWhenFinished, envelope.isFinished {
                try removeLocked(id)
            } else {
                try POSIX.writeFileAtomically(envelopesPath + "/" + id, try Self.encode(envelope), durable: true)
            }
            return envelope
        }
    }

    /// Takes message `id` out of the queue (`correo queue delete`, or when nothing is left to do).
    public func remove(_ id: String) throws {
        guard Self.isValidID(id), POSIX.isDirectory(path) else { return }
        try POSIX.withExclusiveLock(lockPath) { try removeLocked(id) }
    }

    private func removeLocked(_ id: String) throws {
        // The envelope first: a message file without an envelope is an orphan that the next start removes.
        if POSIX.fileExists(envelopesPath + "/" + id) { try POSIX.unlink(envelopesPath + "/" + id) }
        try? POSIX.syncDirectory(envelopesPath)
        if POSIX.fileExists(messagePath(id)) { try POSIX.unlink(messagePath(id)) }
    }

    /// Queues `bytes` (a notification correo itself wrote) under `envelope` durably.
    @discardableResult
    public func enqueue(bytes: [UInt8], envelope: QueueEnvelope) throws -> QueueEnvelope {
        try prepare()
        var envelope = envelope
        envelope.size = bytes.count
        let temporary = temporaryPath + "/" + envelope.id
        try MaildirFolder.writeDurably(bytes, to: temporary, modified: nil)
        try POSIX.rename(temporary, messagePath(envelope.id))
        try commitEnvelope(envelope)
        return envelope
    }

    /// Writes the envelope of a message whose bytes are already durable in messages/, then makes both
    /// names durable: from the moment this returns the message is queued.
    func commitEnvelope(_ envelope: QueueEnvelope) throws {
        let temporary = temporaryPath + "/" + envelope.id + ".envelope"
        try MaildirFolder.writeDurably(try Self.encode(envelope), to: temporary, modified: nil)
        try POSIX.rename(temporary, envelopesPath + "/" + envelope.id)
        let failures = ParallelSync.map([messagesPath, envelopesPath]) { folder -> String? in
            (try? POSIX.syncDirectory(folder)) == nil ? folder : nil
        }
        if let failed = failures.compactMap({ $0 }).first { try POSIX.syncDirectory(failed) }
    }

    /// Removes what a crash left behind: files in tmp/, and message files without an envelope that are
    /// older than `age` (a younger one may be an acceptance in progress in another process).
    public func sweep(olderThan age: TimeInterval) {
        POSIX.removeStaleFiles(in: temporaryPath, olderThan: age)
        guard let messages = try? POSIX.listDirectory(messagesPath) else { return }
        let cutoff = Date().timeIntervalSince1970 - age
        for id in messages where !POSIX.fileExists(envelopesPath + "/" + id) {
            if let status = POSIX.status(messagePath(id)), TimeInterval(status.st_mtim.tv_sec) < cutoff {
                _ = Glibc.unlink(messagePath(id))
                logger.warning("removed a queued message file without envelope", metadata: ["queue_id": "\(id)"])
            }
        }
    }

    static func encode(_ envelope: QueueEnvelope) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(envelope)) + [0x0A]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> QueueEnvelope {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(QueueEnvelope.self, from: Data(bytes))
        } catch {
            throw MailStoreError.corruptFile(path: path, reason: "not a queue envelope: \(error)")
        }
    }
}

extension MailStore {
    /// Makes `message` durable in the outbound queue before this returns.
    ///
    /// It goes under `envelope` (its size filled in): the file fsynced and linked into queue/messages/, the
    /// envelope written and synced, both folders synced. Throws, leaving nothing queued, when that cannot be done.
    public func enqueue(_ message: IncomingMessage, envelope: QueueEnvelope) async throws -> QueueEnvelope {
        let queue = self.queue
        return try await BlockingIO.run {
            try queue.prepare()
            let written = try message.finish()
            let source = message.path
            defer { _ = Glibc.unlink(source) }
            var envelope = envelope
            envelope.size = written.size
            try POSIX.link(source, queue.messagePath(envelope.id))
            try queue.commitEnvelope(envelope)
            return envelope
        }
    }
}
