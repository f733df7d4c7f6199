import Foundation

#if canImport(Glibc)
import Glibc
#endif

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

    /// Starts receiving a message into a new file in `STORAGE/tmp/`.
    ///
    /// `STORAGE/tmp/` is on the same file system as the Maildirs, so delivery is a hard link.
    /// Write into it, then `deliver` it, or `abandon` it. Only the first call in a process touches the disk (it makes
    /// tmp/ and sweeps crashed leftovers).
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

    /// Makes `message` durable in each recipient's INBOX (`USER/new/`) before this returns.
    ///
    /// The file is fsynced, hard-linked under a unique Maildir name
    /// `SECONDS.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlfSize>`, and each new/ folder fsynced — together with the other
    /// deliveries in flight (group commit, see `commit(_:)`). Per-recipient failures (bad address, full disk) are
    /// results, not throws; it throws only when the message itself cannot be made durable, leaving nothing in any new/.
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

    /// Hard-links the fsynced temporary file into the user's new/ and returns its name there.
    ///
    /// It copies through the user's tmp/ when the user folder is on another file system.
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
