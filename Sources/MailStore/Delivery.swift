import Foundation
import MailCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A message being received (SMTP DATA), collected in memory up to
/// `MailStoreDefaults.deliveryWriteBufferBytes` and written in chunks into `STORAGE/tmp/` until `deliver`
/// links it into the recipients' new/ folders. Dropped or abandoned, it leaves nothing in any Maildir:
/// a file only ever appears in new/ through `MailStore.deliver`.
///
/// The temporary file is created at the first chunk write, so a small message touches the disk only
/// once, in its group commit.
public final class IncomingMessage: @unchecked Sendable {
    private struct State {
        var path: String
        var fd: Int32?
        var buffer: [UInt8] = []
        var size = 0
        var bareLineFeeds = 0
        var lastByte: UInt8 = 0
        var finished = false
        var failure: MailStoreError?
    }

    private let directory: String
    private let state: Mutex<State>

    init(directory: String) {
        self.directory = directory
        var initial = State(path: Self.candidatePath(in: directory))
        initial.buffer.reserveCapacity(MailStoreDefaults.deliveryWriteBufferBytes)
        state = Mutex(initial)
    }

    private static func candidatePath(in directory: String) -> String {
        directory + "/" + MaildirFileName.uniqueBase(size: 0, crlfSize: 0)
    }

    deinit {
        // Never delivered: the half-written file goes away with the message.
        state.withLock { state in
            guard !state.finished, let fd = state.fd else { return }
            close(fd)
            unlink(state.path)
        }
    }

    /// The temporary file (it exists once the first chunk was written, or after `finish`).
    var path: String { state.withLock { $0.path } }

    /// Bytes received so far.
    public var size: Int { state.withLock { $0.size } }

    /// Appends `bytes`; they reach the file in `MailStoreDefaults.deliveryWriteBufferBytes` chunks.
    /// A write error is thrown here or, at the latest, by `deliver`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try state.withLock { state in
            try append(bytes, to: &state)
            if state.buffer.count >= MailStoreDefaults.deliveryWriteBufferBytes {
                try flush(&state)
            }
        }
    }

    /// Appends `bytes` when they fit in the write buffer without a write(2), and returns true; returns
    /// false, appending nothing, when the caller must use `write` on a thread that may block.
    public func writeIfBuffered(_ bytes: some Collection<UInt8>) throws -> Bool {
        try state.withLock { state in
            guard state.buffer.count + bytes.count < MailStoreDefaults.deliveryWriteBufferBytes else { return false }
            try append(bytes, to: &state)
            return true
        }
    }

    private func append(_ bytes: some Collection<UInt8>, to state: inout State) throws {
        guard !state.finished else { throw MailStoreError.deliveryFinished }
        if let failure = state.failure { throw failure }
        // Callers in other modules reach this generic code unspecialised, where a loop over the octets
        // costs a witness call per octet (a third of the server's CPU for 200 KB messages): work on the
        // contiguous octets instead.
        let appended = bytes.withContiguousStorageIfAvailable { octets in
            Self.append(octets, to: &state)
        }
        if appended == nil { Array(bytes).withUnsafeBufferPointer { Self.append($0, to: &state) } }
    }

    private static func append(_ octets: UnsafeBufferPointer<UInt8>, to state: inout State) {
        state.bareLineFeeds += LineEnds.bareLineFeedCount(in: UnsafeRawBufferPointer(octets), previous: &state.lastByte)
        state.size += octets.count
        state.buffer.append(contentsOf: octets)
    }

    private func flush(_ state: inout State) throws {
        do {
            let fd = try openFile(&state)
            guard !state.buffer.isEmpty else { return }
            try POSIX.writeAll(fd, state.buffer, path: state.path)
            state.buffer.removeAll(keepingCapacity: true)
        } catch let error as MailStoreError {
            state.failure = error
            throw error
        }
    }

    /// The file, created on first use under a fresh unique name.
    private func openFile(_ state: inout State) throws -> Int32 {
        if let fd = state.fd { return fd }
        while true {
            do {
                let fd = try POSIX.open(state.path, O_WRONLY | O_CREAT | O_EXCL)
                state.fd = fd
                return fd
            } catch MailStoreError.io(_, _, EEXIST) {
                state.path = Self.candidatePath(in: directory)
            } catch MailStoreError.io(_, _, ENOENT) where !POSIX.isDirectory(directory) {
                // STORAGE/tmp/ was removed while the server ran: make it again.
                try POSIX.makeDirectory(directory)
            }
        }
    }

    /// Drops the message: the temporary file is removed.
    public func abandon() {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            guard let fd = state.fd else { return }
            close(fd)
            unlink(state.path)
        }
    }

    /// Writes what is buffered, sets the modification time to `modified` when given (APPEND's
    /// internal date: a Maildir's INTERNALDATE is the file's mtime), fsyncs and closes the file.
    /// Returns its size and CRLF size.
    func finish(modified: Date? = nil) throws -> (size: Int, crlfSize: Int) {
        let written = try finishWriting()
        do {
            if let modified {
                let seconds = Int(modified.timeIntervalSince1970)
                var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
                futimens(written.fd, &times)
            }
            try POSIX.fsync(written.fd, path: written.path)
            close(written.fd)
        } catch {
            close(written.fd)
            unlink(written.path)
            throw error
        }
        return (written.size, written.crlfSize)
    }

    /// Writes what is buffered and hands over the open, not yet synced file: from here the caller
    /// closes and removes it (group commit fsyncs it together with others).
    func finishWriting() throws -> (fd: Int32, path: String, size: Int, crlfSize: Int) {
        try state.withLock { state -> (fd: Int32, path: String, size: Int, crlfSize: Int) in
            guard !state.finished else { throw MailStoreError.deliveryFinished }
            do {
                if let failure = state.failure { throw failure }
                try flush(&state)
            } catch {
                state.finished = true
                if let fd = state.fd {
                    close(fd)
                    unlink(state.path)
                }
                throw error
            }
            state.finished = true
            guard let fd = state.fd else { throw MailStoreError.deliveryFinished }
            return (fd, state.path, state.size, state.size + state.bareLineFeeds)
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

    /// Starts receiving a message, to be written into a new file in `STORAGE/tmp/` (same file system as
    /// the Maildirs, so delivery is a hard link). Write into it, then `deliver` it, or `abandon` it.
    /// Only the first call in a process touches the disk (it makes tmp/ and sweeps crashed leftovers).
    public func beginDelivery() throws -> IncomingMessage {
        if temporaryFolderSwept.withLock({ !$0 }) {
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
        }
        return IncomingMessage(directory: temporaryPath)
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

    /// Makes `message` durable in each recipient's INBOX (`USER/new/`) before this returns: the file is
    /// fsynced, hard-linked under a unique Maildir name `SECONDS.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlfSize>`,
    /// and each new/ folder fsynced — together with the other deliveries in flight (group commit, see
    /// `commit(_:)`). Per-recipient failures (bad address, full disk) are results, not throws; it throws
    /// only when the message itself cannot be made durable, leaving nothing in any new/.
    public func deliver(_ message: IncomingMessage, to recipients: [String]) async throws -> [DeliveryResult] {
        let linked = try await deliveryCommitter.commit(
            PendingDelivery(store: self, message: message, recipients: recipients)
        )
        var results: [DeliveryResult] = []
        var notified: Set<String> = []
        for entry in linked {
            switch entry.result {
            case .success(let (_, fileName)):
                results.append(DeliveryResult(recipient: entry.recipient, outcome: .delivered(fileName: fileName)))
                let user = entry.recipient.lowercased()
                if notified.insert(user).inserted, let inbox = openInbox(user: user) {
                    Task { _ = try? await inbox.synchronize() }
                }
            case .failure(let error):
                results.append(DeliveryResult(recipient: entry.recipient, outcome: .failed(error)))
            }
        }
        let delivered = results.filter(\.isDelivered).count
        logger.debug("delivered", metadata: ["recipients": "\(recipients.count)", "delivered": "\(delivered)"])
        return results
    }

    /// Makes a batch of deliveries durable together (group commit); runs on the committer's thread.
    ///
    /// The order of syncs, and why it is safe (ext4 in its default data=ordered mode, or any POSIX file
    /// system that honours fsync):
    /// 1. every message's file in tmp/ is written, then all of them are fsynced side by side: each
    ///    message's data and inode are on disk before any name for it exists in a new/;
    /// 2. only then is each file hard-linked into its recipients' new/ — a crash from here on can leave
    ///    a link that did not survive (the client never got its 250 and sends again), never a name in
    ///    new/ that points to missing or partial data, since the data was durable before the link;
    /// 3. every new/ folder that gained a name is fsynced, side by side (one new/ per recipient, so a
    ///    batch of 16 messages for 16 users syncs 16 folders: sequentially that is 16 cache flushes,
    ///    concurrently the journal commits once and the block layer merges the flushes);
    /// 4. only after both rounds have finished is anyone in the batch answered (the SMTP 250).
    /// A batch thus costs two rounds of concurrent syncs however many messages it holds, where one
    /// message at a time cost two rounds per message. Not syncfs(2): it would also flush every other
    /// program's dirty data on the file system.
    func commit(_ batch: [PendingDelivery]) -> [Result<[LinkedRecipient], any Error>] {
        // 1. Write out and fsync every file.
        let written = batch.map { pending in Result { try pending.message.finishWriting() } }
        let files = written.compactMap { try? $0.get() }
        let fileErrors = ParallelSync.map(files.map { ($0.fd, $0.path) }) { fd, path -> MailStoreError? in
            do {
                try POSIX.fsync(fd, path: path)
                return nil
            } catch {
                return (error as? MailStoreError) ?? POSIX.error("fsync", path, EIO)
            }
        }
        var fileFailures: [String: MailStoreError] = [:]
        for (file, error) in zip(files, fileErrors) {
            close(file.fd)
            if let error { fileFailures[file.path] = error }
        }
        // 2. Link into each recipient's new/.
        var linked: [Result<[LinkedRecipient], any Error>] = []
        for (pending, outcome) in zip(batch, written) {
            switch outcome {
            case .failure(let error):
                linked.append(.failure(error))
            case .success(let file):
                if let error = fileFailures[file.path] {
                    linked.append(.failure(error))
                } else {
                    linked.append(.success(linkIntoRecipients(file, pending.recipients)))
                }
                unlink(file.path)
            }
        }
        // 3. fsync every new/ folder that gained a name.
        var folders: [String] = []
        for case .success(let recipients) in linked {
            for case .success(let (folder, _)) in recipients.map(\.result) where !folders.contains(folder) {
                folders.append(folder)
            }
        }
        let folderErrors = ParallelSync.map(folders) { folder -> MailStoreError? in
            do {
                try POSIX.syncDirectory(folder)
                return nil
            } catch {
                return (error as? MailStoreError) ?? POSIX.error("fsync", folder, EIO)
            }
        }
        let failedFolders = Dictionary(
            zip(folders, folderErrors).compactMap { folder, error in error.map { (folder, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        guard !failedFolders.isEmpty else { return linked }
        return linked.map { result in
            result.map { recipients in
                recipients.map { entry -> LinkedRecipient in
                    guard case .success(let (folder, _)) = entry.result, let error = failedFolders[folder] else {
                        return entry
                    }
                    return LinkedRecipient(recipient: entry.recipient, result: .failure(error))
                }
            }
        }
    }

    /// Links the synced `file` into each recipient's new/ (each user once); not yet durable.
    private func linkIntoRecipients(
        _ file: (fd: Int32, path: String, size: Int, crlfSize: Int),
        _ recipients: [String]
    ) -> [LinkedRecipient] {
        var done: [String: Result<(folder: String, fileName: String), MailStoreError>] = [:]
        return recipients.map { recipient in
            guard let user = try? Self.normalizedUser(recipient) else {
                return LinkedRecipient(recipient: recipient, result: .failure(.invalidAddress(recipient)))
            }
            if let earlier = done[user] { return LinkedRecipient(recipient: recipient, result: earlier) }
            let result = Result<(folder: String, fileName: String), any Error> {
                let userPath = try prepareUser(user)
                let fileName = try linkIntoNew(file.path, userPath: userPath, size: file.size, crlfSize: file.crlfSize)
                return (userPath + "/new", fileName)
            }.mapError { ($0 as? MailStoreError) ?? .io(operation: "deliver", path: user, errno: EIO) }
            done[user] = result
            return LinkedRecipient(recipient: recipient, result: result)
        }
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

/// One delivery waiting for its group commit.
struct PendingDelivery: Sendable {
    let store: MailStore
    let message: IncomingMessage
    let recipients: [String]
}

/// One recipient of a committed delivery: the new/ folder and file name, or why not.
struct LinkedRecipient: Sendable {
    let recipient: String
    let result: Result<(folder: String, fileName: String), MailStoreError>
}
