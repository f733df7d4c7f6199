import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A message being received (SMTP DATA), written in chunks into `STORAGE/tmp/` until `deliver`
/// links it into the recipients' new/ folders. Dropped or abandoned, it leaves nothing in any
/// Maildir: a file only ever appears in new/ through `MailStore.deliver`.
public final class IncomingMessage: @unchecked Sendable {
    private struct State {
        var fd: Int32
        var buffer: [UInt8] = []
        var size = 0
        var bareLineFeeds = 0
        var lastByte: UInt8 = 0
        var finished = false
        var failure: MailStoreError?
    }

    /// The temporary file.
    let path: String
    private let state: LockedValue<State>

    init(directory: String) throws {
        var opened: (String, Int32)?
        while opened == nil {
            let candidate = directory + "/" + MaildirFileName.uniqueBase(size: 0, crlfSize: 0)
            do {
                opened = (candidate, try POSIX.open(candidate, O_WRONLY | O_CREAT | O_EXCL))
            } catch MailStoreError.io(_, _, EEXIST) {
                continue
            }
        }
        guard let (path, fd) = opened else { throw MailStoreError.deliveryFinished }
        self.path = path
        var initial = State(fd: fd)
        initial.buffer.reserveCapacity(MailStoreDefaults.deliveryWriteBufferBytes)
        state = LockedValue(initial)
    }

    deinit {
        // Never delivered: the half-written file goes away with the message.
        state.withLock { state in
            guard !state.finished else { return }
            close(state.fd)
            unlink(path)
        }
    }

    /// Bytes received so far.
    public var size: Int { state.withLock { $0.size } }

    /// Appends `bytes`; they reach the file in `MailStoreDefaults.deliveryWriteBufferBytes` chunks.
    /// A write error is thrown here or, at the latest, by `deliver`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try state.withLock { state in
            guard !state.finished else { throw MailStoreError.deliveryFinished }
            if let failure = state.failure { throw failure }
            state.bareLineFeeds += LineEnds.bareLineFeeds(in: bytes, previous: &state.lastByte)
            state.size += bytes.count
            state.buffer.append(contentsOf: bytes)
            if state.buffer.count >= MailStoreDefaults.deliveryWriteBufferBytes {
                try flush(&state)
            }
        }
    }

    private func flush(_ state: inout State) throws {
        guard !state.buffer.isEmpty else { return }
        do {
            try POSIX.writeAll(state.fd, state.buffer, path: path)
            state.buffer.removeAll(keepingCapacity: true)
        } catch let error as MailStoreError {
            state.failure = error
            throw error
        }
    }

    /// Drops the message: the temporary file is removed.
    public func abandon() {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            close(state.fd)
            unlink(path)
        }
    }

    /// Writes what is buffered, sets the modification time to `modified` when given (APPEND's
    /// internal date: a Maildir's INTERNALDATE is the file's mtime), fsyncs and closes the file.
    /// Returns its size and CRLF size.
    func finish(modified: Date? = nil) throws -> (size: Int, crlfSize: Int) {
        try state.withLock { state in
            guard !state.finished else { throw MailStoreError.deliveryFinished }
            state.finished = true
            do {
                if let failure = state.failure { throw failure }
                try flush(&state)
                if let modified {
                    let seconds = Int(modified.timeIntervalSince1970)
                    var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
                    futimens(state.fd, &times)
                }
                try POSIX.fsync(state.fd, path: path)
                close(state.fd)
            } catch {
                close(state.fd)
                unlink(path)
                throw error
            }
            return (state.size, state.size + state.bareLineFeeds)
        }
    }
}

/// What happened to one recipient of a delivery.
public struct DeliveryResult: Hashable, Sendable {
    /// Delivered durably, or why not.
    public enum Outcome: Hashable, Sendable {
        /// Durable in the recipient's new/ under this file name.
        case delivered(fileName: String)
        case failed(MailStoreError)
    }

    /// The address as the caller gave it.
    public var recipient: String
    /// What happened.
    public var outcome: Outcome

    /// Whether the message is durable in this recipient's INBOX.
    public var isDelivered: Bool {
        if case .delivered = outcome { return true }
        return false
    }
}

extension MailStore {
    private var temporaryPath: String { root.path + "/tmp" }

    /// Starts receiving a message: a new file in `STORAGE/tmp/` (same file system as the Maildirs,
    /// so delivery is a hard link). Write into it, then `deliver` it, or `abandon` it.
    public func beginDelivery() throws -> IncomingMessage {
        if !POSIX.isDirectory(temporaryPath) {
            _ = try prepareRoot()
            try POSIX.makeDirectory(temporaryPath)
        }
        if temporaryFolderSwept.withLock({ swept in
            defer { swept = true }
            return !swept
        }) {
            POSIX.removeStaleFiles(in: temporaryPath, olderThan: MailStoreDefaults.staleTemporaryFileAge)
        }
        return try IncomingMessage(directory: temporaryPath)
    }

    private func prepareRoot() throws -> Bool {
        guard !POSIX.isDirectory(root.path) else { return false }
        try FileManager.default.createDirectory(
            at: root,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        return true
    }

    /// Delivers `bytes` (already CRLF, dot-unstuffed) to each recipient's INBOX; see `deliver(_:to:)`.
    public func deliver(bytes: [UInt8], to recipients: [String]) async throws -> [DeliveryResult] {
        let message = try beginDelivery()
        do {
            try message.write(bytes)
        } catch {
            message.abandon()
            throw error
        }
        return try await deliver(message, to: recipients)
    }

    /// Makes `message` durable in each recipient's INBOX (`USER/new/`): the file is fsynced, hard-linked
    /// under a unique Maildir name `SECONDS.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlfSize>`, and
    /// each new/ folder fsynced — shared with concurrent deliveries (group commit) — before this
    /// returns. Per-recipient failures (bad address, full disk) are results, not throws; it throws only
    /// when the message itself cannot be made durable, leaving nothing in any new/.
    public func deliver(_ message: IncomingMessage, to recipients: [String]) async throws -> [DeliveryResult] {
        let linked = try await BlockingIO.run { [self] () -> [(String, Result<(String, String), MailStoreError>)] in
            let (size, crlfSize) = try message.finish()
            defer { unlink(message.path) }
            var done: [String: Result<(String, String), MailStoreError>] = [:]
            return recipients.map { recipient in
                guard let user = try? Self.normalizedUser(recipient) else {
                    return (recipient, .failure(.invalidAddress(recipient)))
                }
                if let earlier = done[user] { return (recipient, earlier) }
                let result = Result<(String, String), Error> {
                    let userPath = try prepareUser(user)
                    let fileName = try linkIntoNew(message.path, userPath: userPath, size: size, crlfSize: crlfSize)
                    return (userPath + "/new", fileName)
                }.mapError { ($0 as? MailStoreError) ?? .io(operation: "deliver", path: user, errno: EIO) }
                done[user] = result
                return (recipient, result)
            }
        }
        // Group commit: one fsync per new/ folder answers every delivery waiting on it.
        let folders = Set(linked.compactMap { try? $0.1.get().0 })
        var syncErrors: [String: MailStoreError] = [:]
        await withTaskGroup(of: (String, MailStoreError?).self) { group in
            for folder in folders {
                group.addTask { [directorySyncer] in
                    do {
                        try await directorySyncer.sync(folder)
                        return (folder, nil)
                    } catch {
                        return (folder, (error as? MailStoreError) ?? .io(operation: "fsync", path: folder, errno: EIO))
                    }
                }
            }
            for await (folder, error) in group { syncErrors[folder] = error }
        }
        var results: [DeliveryResult] = []
        var notified: Set<String> = []
        for (recipient, result) in linked {
            switch result {
            case .success(let (folder, fileName)):
                if let error = syncErrors[folder] {
                    results.append(DeliveryResult(recipient: recipient, outcome: .failed(error)))
                } else {
                    results.append(DeliveryResult(recipient: recipient, outcome: .delivered(fileName: fileName)))
                    let user = recipient.lowercased()
                    if notified.insert(user).inserted, let inbox = openInbox(user: user) {
                        Task { _ = try? await inbox.synchronize() }
                    }
                }
            case .failure(let error):
                results.append(DeliveryResult(recipient: recipient, outcome: .failed(error)))
            }
        }
        let delivered = results.filter(\.isDelivered).count
        logger.debug("delivered", metadata: ["recipients": "\(recipients.count)", "delivered": "\(delivered)"])
        return results
    }

    /// Hard-links the fsynced temporary file into new/ (copying through the user's tmp/ when the
    /// user folder is on another file system). Returns the new file name.
    private func linkIntoNew(_ source: String, userPath: String, size: Int, crlfSize: Int) throws -> String {
        while true {
            let fileName = MaildirFileName.uniqueBase(size: size, crlfSize: crlfSize)
            let target = userPath + "/new/" + fileName
            if link(source, target) == 0 { return fileName }
            switch errno {
            case EEXIST: continue
            case EXDEV, EPERM, EMLINK:
                let temporary = userPath + "/tmp/" + fileName
                try MaildirFolder.writeDurably(try POSIX.readFile(source), to: temporary, modified: nil)
                defer { unlink(temporary) }
                if link(temporary, target) == 0 { return fileName }
                if errno == EEXIST { continue }
                throw POSIX.error("link", target)
            default:
                throw POSIX.error("link", target)
            }
        }
    }
}
