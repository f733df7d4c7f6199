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
    private var temporaryPath: String { rootPath + "/tmp" }

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
    /// The file is fsynced, hard-linked (into the last recipient's new/: renamed) under a unique Maildir name
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
    /// Two orders, chosen once per store by `JournalOrdering`:
    /// - portable: fsync every file, link each into its recipients' new/, fsync every new/ (two journal
    ///   commits one after the other on ext4);
    /// - journal order (ext4 with an ordered journal): write every file's data back, link (or rename),
    ///   then fsync the file named last (one commit for the batch: every name rides in it; a new/ is
    ///   synced only if it got a copy).
    ///
    /// Either way nobody in the batch is answered (the SMTP 250) before every sync of the batch has
    /// finished, and a crash can leave a name in a new/ only for a message whose data is whole on disk
    /// (a name that did not survive is a message whose client never got its 250 and sends again). A batch
    /// costs the same few rounds of concurrent syncs however many messages it holds. Not syncfs(2): it
    /// would also flush every other program's dirty data on the file system.
    func commit(_ batch: [PendingDelivery]) -> [Result<[LinkedRecipient], any Error>] {
        let written = batch.map { pending in Result { try pending.message.finishWriting() } }
        let files = written.compactMap { try? $0.get() }
        let inJournalOrder = journalOrder.withLock { known in
            let answer = known ?? JournalOrdering.keepsDataBeforeNames(at: temporaryPath)
            known = answer
            return answer
        }
        var fileFailures: [String: MailStoreError] = [:]
        // 1. Every file's data goes to the disk.
        if inJournalOrder {
            // See JournalOrdering: the data is written back (no commit yet), the names follow it into
            // the journal, and step 3 commits both at once. Every file's write is started before any
            // is waited for, so they are on the disk together without a thread each: handing a
            // batch's files to the sync lanes cost a wake-up and two context switches per message,
            // a tenth of the CPU of a small one. (An error of the start shows again in the wait; a
            // lone file's wait starts its write itself.)
            if files.count > 1 { for file in files { _ = POSIX.startWriteBack(file.fd) } }
            fileFailures = Self.failures(of: files.map(\.path), files.map { Self.writeBack($0.fd, $0.path) })
        } else {
            // Portable: each file is durable (data and inode) before any name for it exists in a new/.
            fileFailures = Self.failures(of: files.map(\.path), ParallelSync.map(files) { Self.sync($0.fd, $0.path) })
        }
        // 2. Link into each recipient's new/; a file's last new/ gets the file itself (a rename).
        var linked: [Result<[LinkedRecipient], any Error>] = []
        var names = Names()
        for (pending, outcome) in zip(batch, written) {
            switch outcome {
            case .failure(let error):
                linked.append(.failure(error))
            case .success(let file):
                if let error = fileFailures[file.path] {
                    linked.append(.failure(error))
                } else {
                    linked.append(.success(linkIntoRecipients(file, pending.recipients, names: &names)))
                }
            }
        }
        // 3. fsync every new/ folder that gained a name, side by side (one new/ per recipient: one after
        // another that is a cache flush each, together the journal commits once and the block layer merges
        // the flushes). In journal order one file's fsync runs instead: a link or rename changes the file's
        // inode in the same transaction as the folder, and the journal commits its transactions in order
        // (a fast commit, too, takes every change queued since the last full one), so waiting for the
        // transaction of the name given last waits for every name of the batch. One fsync on this thread
        // where a file each on the sync lanes cost a thread wake-up per message. Only a folder that got a
        // copy (another file system, or no more links) is synced itself.
        var folders: [String] = []
        for case .success(let recipients) in linked {
            for case .success(let (folder, _)) in recipients.map(\.result)
            where !folders.contains(folder) && (!inJournalOrder || names.copiedInto.contains(folder)) {
                folders.append(folder)
            }
        }
        let named = inJournalOrder ? names.last.map { [(fd: $0.fd, path: $0.path)] } ?? [] : []
        let syncs = named + folders.map { (fd: Int32(-1), path: $0) }
        let syncErrors = ParallelSync.map(syncs) { fd, path in
            fd >= 0 ? Self.sync(fd, path) : Self.syncFolder(path)
        }
        for file in files {
            close(file.fd)
            if !names.moved.contains(file.path) { unlink(file.path) }
        }
        var failed = Self.failures(of: syncs.map(\.path), syncErrors)
        if let last = names.last, let error = failed[last.path] {
            // The one fsync stood for every file given a name in the batch.
            for file in files where fileFailures[file.path] == nil { failed[file.path] = error }
        }
        guard !failed.isEmpty else { return linked }
        return zip(linked, written).map { result, file in
            result.map { recipients in
                let fileError = (try? file.get()).flatMap { failed[$0.path] }
                return recipients.map { entry -> LinkedRecipient in
                    guard case .success(let (folder, fileName)) = entry.result,
                        let error = fileError ?? failed[folder]
                    else { return entry }
                    // Not answered as delivered: the name goes, so that no copy the client will send
                    // again stays beside this one (gone or not, it points to whole data).
                    unlink(folder + "/" + fileName)
                    return LinkedRecipient(recipient: entry.recipient, result: .failure(error))
                }
            }
        }
    }

    private static func sync(_ fd: Int32, _ path: String) -> MailStoreError? {
        do {
            try POSIX.fsync(fd, path: path)
            return nil
        } catch {
            return (error as? MailStoreError) ?? POSIX.error("fsync", path, EIO)
        }
    }

    private static func syncFolder(_ path: String) -> MailStoreError? {
        do {
            try POSIX.syncDirectory(path)
            return nil
        } catch {
            return (error as? MailStoreError) ?? POSIX.error("fsync", path, EIO)
        }
    }

    /// Writes the file's data back and waits for it, without a journal commit (sync_file_range(2)).
    private static func writeBack(_ fd: Int32, _ path: String) -> MailStoreError? {
        while POSIX.writeBack(fd) != 0 {
            if errno != EINTR { return POSIX.error("sync_file_range", path) }
        }
        return nil
    }

    private static func failures(of paths: [String], _ errors: [MailStoreError?]) -> [String: MailStoreError] {
        Dictionary(
            zip(paths, errors).compactMap { path, error in error.map { (path, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
    }

    /// What step 2 of a commit did with the batch's files.
    private struct Names {
        /// new/ folders that got a copy rather than a link: each is synced itself.
        var copiedInto: Set<String> = []
        /// Temporary files renamed into a new/: nothing is left to unlink.
        var moved: Set<String> = []
        /// The file given a name last (linked or renamed, not copied).
        var last: (fd: Int32, path: String)?
    }

    /// Links the written `file` into each recipient's new/ (each user once), renaming it into the last
    /// one; not yet durable.
    private func linkIntoRecipients(
        _ file: (fd: Int32, path: String, size: Int, crlfSize: Int),
        _ recipients: [String],
        names: inout Names
    ) -> [LinkedRecipient] {
        let users = recipients.map { try? Self.normalizedUser($0) }
        // The last user met for the first time: every other user's link comes before it, so the file
        // can move there instead of being linked and then unlinked.
        var lastNewUser: Int? = users.count == 1 && users[0] != nil ? 0 : nil
        if users.count > 1 {  // a lone recipient, most mail, needs no set
            var seen: Set<String> = []
            for (index, user) in users.enumerated() where user.map({ seen.insert($0).inserted }) ?? false {
                lastNewUser = index
            }
        }
        var done: [String: Result<(folder: String, fileName: String), MailStoreError>] = [:]
        return zip(recipients, users).enumerated().map { index, entry in
            let (recipient, user) = entry
            guard let user else {
                return LinkedRecipient(recipient: recipient, result: .failure(.invalidAddress(recipient)))
            }
            if let earlier = done[user] { return LinkedRecipient(recipient: recipient, result: earlier) }
            let result = Result<(folder: String, fileName: String), any Error> {
                let userPath = try prepareUser(user)
                let (fileName, naming) = try linkIntoNew(
                    file.path,
                    userPath: userPath,
                    size: file.size,
                    crlfSize: file.crlfSize,
                    move: index == lastNewUser
                )
                switch naming {
                case .copied: names.copiedInto.insert(userPath + "/new")
                case .moved:
                    names.moved.insert(file.path)
                    names.last = (file.fd, file.path)
                case .linked: names.last = (file.fd, file.path)
                }
                return (userPath + "/new", fileName)
            }.mapError { ($0 as? MailStoreError) ?? .io(operation: "deliver", path: user, errno: EIO) }
            if recipients.count > 1 { done[user] = result }
            return LinkedRecipient(recipient: recipient, result: result)
        }
    }

    /// How a file got its name in a new/.
    private enum Naming {
        /// A hard link to the temporary file.
        case linked
        /// The temporary file itself, renamed.
        case moved
        /// A durable copy through the user's tmp/.
        case copied
    }

    /// Hard-links (or with `move`, renames) the temporary file into the user's new/ and returns its name
    /// there.
    ///
    /// Both refuse an existing name, so a unique name stays unique. It copies through the user's tmp/
    /// (a durable copy, then a link to it) when the user folder is on another file system or the file
    /// can take no more links; it links when the file system cannot rename without replacing.
    private func linkIntoNew(
        _ source: String,
        userPath: String,
        size: Int,
        crlfSize: Int,
        move: Bool
    ) throws -> (fileName: String, naming: Naming) {
        var move = move
        while true {
            let fileName = MaildirFileName.uniqueBase(size: size, crlfSize: crlfSize)
            let target = userPath + "/new/" + fileName
            if move {
                if POSIX.renameNoReplace(source, target) == 0 { return (fileName, .moved) }
                if errno == ENOSYS || errno == EINVAL {
                    move = false
                    continue
                }
            } else if link(source, target) == 0 {
                return (fileName, .linked)
            }
            switch errno {
            case EEXIST: continue
            case EXDEV, EPERM, EMLINK:
                let temporary = userPath + "/tmp/" + fileName
                try MaildirFolder.writeDurably(try POSIX.readFile(source), to: temporary, modified: nil)
                defer { unlink(temporary) }
                if link(temporary, target) == 0 { return (fileName, .copied) }
                if errno == EEXIST { continue }
                throw POSIX.error("link", target)
            default:
                throw POSIX.error(move ? "rename" : "link", target)
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
