import Foundation
import Logging
import MailCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The storage folder: one Maildir per user (`STORAGE/user@domain/`, Maildir++ subfolders), the
/// users' passwords (`STORAGE/passwords.txt`), and durable delivery into it.
///
/// One instance per process; it hands out one shared `Mailbox` per user and folder. Several
/// processes may use the same storage at once: they coordinate through flock(2) on lock files.
public final class MailStore: Sendable {
    /// The storage folder.
    public let root: URL
    /// `root.path`, kept: URL's `path` builds a new string at every call (2,700 instructions), and
    /// delivery asks for it for every message.
    let rootPath: String
    /// STORAGE/passwords.txt.
    public let users: Users
    /// STORAGE/queue/: mail waiting to be relayed to other hosts.
    public let queue: OutboundQueue
    let logger: Logger
    let mailboxes = Mutex([MailboxKey: Mailbox]())
    /// Users whose Maildir this process has already made sure of.
    private let preparedUsers = Mutex(Set<String>())
    /// Makes deliveries durable in batches (group commit, see `MailStore.commit(_:)`).
    let deliveryCommitter = GroupCommitter<PendingDelivery, [LinkedRecipient]>(
        label: "correo.mailstore.delivery-commit",
        process: { batch in batch.first?.store.commit(batch) ?? [] }
    )
    /// Whether STORAGE/tmp/ was swept of crashed deliveries' files since this process started.
    let temporaryFolderSwept = Mutex(false)
    /// Whether STORAGE/tmp/'s file system keeps data ahead of names (JournalOrdering), asked at the first
    /// delivery: ext4 changes neither its journal nor its data mode while mounted.
    let journalOrder = Mutex<Bool?>(nil)
    /// The newsgroups' addresses as the last recipient lookup read them, and when (`rememberedRecipient`).
    let groupAddresses = Mutex<(addresses: Set<String>, checked: ContinuousClock.Instant?)>(([], nil))

    struct MailboxKey: Hashable {
        var user: String
        var name: MailboxName
    }

    /// Opens (and creates, mode 0700, if needed on first use) the storage folder at `root`.
    public init(root: URL, logger: Logger = Logger(label: "correo.mailstore")) {
        // Resolved once, so that a storage folder reached through a symbolic link still works while
        // links inside it are refused (every open(2) there uses O_NOFOLLOW).
        self.root = root.standardizedFileURL.resolvingSymlinksInPath()
        rootPath = self.root.path
        self.logger = logger
        users = Users(file: self.root.appendingPathComponent("passwords.txt"), logger: logger)
        queue = OutboundQueue(path: self.root.path + "/queue", logger: logger)
    }

    // MARK: - Users' folders

    /// The user's Maildir folder for `address`: lowercased, and refused when it could name anything
    /// but one folder directly inside the storage (no "/", no leading ".", no control bytes).
    public func userDirectory(for address: String) throws -> URL {
        let user = try Self.normalizedUser(address)
        return root.appendingPathComponent(user, isDirectory: true)
    }

    /// `address` as every store keeps a user: lower-cased, an internationalised domain as its A-label;
    /// `MailStoreError.invalidAddress` for one that cannot name a user.
    public static func normalizedUser(_ address: String) throws -> String {
        let user: String
        if address.utf8.allSatisfy({ $0 < 0x80 }) {
            // Nearly every address: lowercased byte by byte, an ASCII domain being its own A-label
            // (Unicode lowercasing and splitting the address cost 3,900 instructions a call, callgrind).
            user = Self.asciiLowercased(address)
        } else {
            var lowered = address.lowercased()
            // The domain as its A-label, as SMTP looks users up (`bob@bücher.example` → `bob@xn--bcher-kva.example`).
            if let (localPart, domainPart) = EmailAddress.split(lowered), IDNA.isInternationalized(domainPart),
                let ascii = IDNA.toASCII(domainPart)
            {
                lowered = localPart + "@" + ascii
            }
            user = lowered
        }
        let bytes = user.utf8
        guard !bytes.isEmpty, bytes.count <= MailStoreDefaults.maximumAddressBytes,
            !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }),
            bytes.first != UInt8(ascii: "."),
            let at = bytes.lastIndex(of: UInt8(ascii: "@")),
            at != bytes.startIndex, bytes.index(after: at) != bytes.endIndex  // a local part and a domain
        else { throw MailStoreError.invalidAddress(address) }
        return user
    }

    /// An ASCII string with A–Z made a–z.
    private static func asciiLowercased(_ text: String) -> String {
        let utf8 = text.utf8
        return String(unsafeUninitializedCapacity: utf8.count) { buffer in
            for (index, byte) in utf8.enumerated() {
                buffer[index] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return utf8.count
        }
    }

    /// Whether `address` is a local user: listed in passwords.txt or owning a Maildir here.
    public func userExists(_ address: String) async -> Bool {
        guard let directory = try? userDirectory(for: address) else { return false }
        if await users.contains(address) { return true }
        return await BlockingIO.run { POSIX.isDirectory(directory.path + "/cur") }
    }

    /// Makes the user's Maildir durably if it does not exist yet.
    ///
    /// That is cur/ new/ tmp/, the special-use folders and their subscriptions. `correo user add` calls it; delivery and `mailbox` do too.
    public func createUserMaildir(_ address: String) throws {
        _ = try prepareUser(address)
    }

    /// Returns the user's folder path, creating the Maildir on first use.
    func prepareUser(_ address: String) throws -> String {
        // A name already prepared is a normalized one (normalizing it again gives it back): delivery
        // hands in normalized names, and the check costs less than normalizing.
        if preparedUsers.withLock({ $0.contains(address) }) { return rootPath + "/" + address }
        let user = try Self.normalizedUser(address)
        let path = rootPath + "/" + user
        if preparedUsers.withLock({ $0.contains(user) }) { return path }
        if !POSIX.isDirectory(path + "/cur") {
            try POSIX.withExclusiveLock(try rootLockPath()) {
                guard !POSIX.isDirectory(path + "/cur") else { return }
                let created = try POSIX.makeDirectory(path)
                // Every folder made here must be durable before a delivery into it is acknowledged, but
                // none depends on another's sync: they are fsynced side by side (ParallelSync), one disk
                // round trip for a new user instead of eight in a row (its delivery batch waits for it).
                // A failed sync is retried in line so that its error is the one thrown.
                var toSync: [String] = []
                if try Self.makeMaildir(path, sync: false) { toSync.append(path) }
                for special in MailStoreDefaults.specialUseFolders {
                    if try Self.makeMaildir(path + "/." + special.name, sync: false) {
                        toSync.append(path + "/." + special.name)
                    }
                }
                try writeSubscriptions(
                    [MailboxName.inbox]
                        + MailStoreDefaults.specialUseFolders.compactMap { try? MailboxName([$0.name]) },
                    userPath: path
                )
                if !toSync.contains(path) { toSync.append(path) }
                if created { toSync.append(root.path) }
                let failures = ParallelSync.map(toSync) { folder -> String? in
                    (try? POSIX.syncDirectory(folder)) == nil ? folder : nil
                }
                if let failed = failures.compactMap({ $0 }).first { try POSIX.syncDirectory(failed) }
                logger.info("created Maildir", metadata: ["user": "\(user)"])
            }
        }
        // A user folder, or its cur/ new/ tmp/, that is a symbolic link would lead delivery elsewhere.
        guard POSIX.isMaildir(path) else { throw POSIX.symbolicLinkRefused(path) }
        preparedUsers.withLock { _ = $0.insert(user) }
        return path
    }

    private func rootLockPath() throws -> String {
        if POSIX.isDirectory(root.path) == false {
            try FileManager.default.createDirectory(
                at: root,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        return root.path + "/.correo.lock"
    }

    /// Makes cur/ new/ tmp/ (0700) in `path` where missing; returns whether any was made.
    ///
    /// cur/ new/ tmp/ (0700) in `path`, made if missing; the folder fsynced when it gained names
    /// (unless `sync` is false: the caller syncs it). Returns whether it gained names.
    @discardableResult
    static func makeMaildir(_ path: String, sync: Bool = true) throws -> Bool {
        try POSIX.makeDirectory(path)
        var created = false
        for sub in ["cur", "new", "tmp"] where try POSIX.makeDirectory(path + "/" + sub) { created = true }
        // mkdir(2) accepts an existing name, a symbolic link included: writing on would write through it.
        guard POSIX.isMaildir(path) else { throw POSIX.symbolicLinkRefused(path) }
        if (path as NSString).lastPathComponent.hasPrefix(".") {
            // Maildir++: a subfolder is marked by an empty `maildirfolder` file.
            let marker = path + "/maildirfolder"
            if !POSIX.fileExists(marker) { close(try POSIX.open(marker, O_WRONLY | O_CREAT)) }
        }
        if created, sync { try POSIX.syncDirectory(path) }
        return created
    }

    // MARK: - Mailboxes

    /// Writes the caches of every open mailbox that changed (at shutdown, so that a restarted
    /// server finds them instead of reading every message again).
    public func writeCaches() async {
        let open = mailboxes.withLock { Array($0.values) }
        for mailbox in open { await mailbox.writeCache() }
    }

    /// The shared `Mailbox` for the user's folder, loaded and scanned.
    ///
    /// Throws `mailboxNotFound` if the folder does not exist (INBOX always does).
    public func mailbox(user address: String, name: MailboxName) async throws -> Mailbox {
        let user = try Self.normalizedUser(address)
        let key = MailboxKey(user: user, name: name)
        let mailbox = try await BlockingIO.run { [self] in
            let userPath = try prepareUser(user)
            return mailboxes.withLock { mailboxes -> Mailbox in
                if let existing = mailboxes[key] { return existing }
                let created = Mailbox(
                    user: user,
                    name: name,
                    url: URL(fileURLWithPath: userPath + "/" + name.maildirFolder),
                    logger: logger,
                    newValidity: { try Self.nextUIDValidity(userPath: userPath) }
                )
                mailboxes[key] = created
                return created
            }
        }
        do {
            try await mailbox.open()
        } catch let error as MailStoreError where error == .mailboxNotFound(name.description) {
            mailboxes.withLock { if $0[key] === mailbox { $0[key] = nil } }
            throw error
        }
        return mailbox
    }

    /// RFC 3501 2.3.1.1: a folder made again under an old name must not reuse its UIDVALIDITY, so the
    /// user folder remembers the last one given (`correo-uidvalidity`); a new one is that + 1 or the
    /// current time in seconds, whichever is larger.
    static func nextUIDValidity(userPath: String) throws -> UInt32 {
        let file = userPath + "/correo-uidvalidity"
        return try POSIX.withExclusiveLock(file + ".lock") {
            let last =
                (try? POSIX.readFile(file)).flatMap {
                    UInt32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                } ?? 0
            let now = UInt32(clamping: Int(Date().timeIntervalSince1970))
            let next = max(now, last &+ 1 == 0 ? 1 : last + 1)
            try POSIX.writeFileAtomically(file, Array("\(next)\n".utf8), durable: true)
            return next
        }
    }

    /// Mailboxes of this process for `user` at or below `name`, forgotten and closed.
    func forgetMailboxes(user: String, under name: MailboxName) async {
        let affected = mailboxes.withLock { mailboxes -> [Mailbox] in
            let keys = mailboxes.keys.filter { $0.user == user && $0.name.isSelfOrDescendant(of: name) }
            return keys.compactMap { mailboxes.removeValue(forKey: $0) }
        }
        for mailbox in affected { await mailbox.invalidate() }
    }

    /// Makes the flag renames owed in `name` and its children before their files move.
    func writeRenamesBehind(user: String, under name: MailboxName) async {
        let affected = mailboxes.withLock { mailboxes in
            mailboxes.filter { $0.key.user == user && $0.key.name.isSelfOrDescendant(of: name) }.map(\.value)
        }
        for mailbox in affected { await mailbox.writeRenamesBehind() }
    }

    /// The live INBOX of `user` in this process, if a session has it open.
    func openInbox(user: String) -> Mailbox? {
        mailboxes.withLock { $0[MailboxKey(user: user, name: .inbox)] }
    }
}
