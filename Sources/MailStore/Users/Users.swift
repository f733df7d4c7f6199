import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The users in STORAGE/passwords.txt, one a line.
///
///     alice@example.com:secret                                  the original correo format (plain)
///     bob@example.com:{SHA512-CRYPT}$6$rounds=100000$…          Dovecot passwd-file style
///     carol@example.com:{BLF-CRYPT}$2y$…:1000:1000::/home/carol::  extra Dovecot fields are ignored
///
/// Addresses are case-insensitive. A `{SCHEME}` value ends at the next ':'; a plain value runs to
/// the end of the line unless the line has Dovecot's seven or more fields. Lines starting with '#'
/// are comments. The file is re-read when its modification time changes and rewritten atomically
/// (temporary file, fsync, rename) with mode 0600 under an flock, keeping lines it does not change.
public final class Users: Sendable {
    /// passwords.txt.
    public let file: URL
    private let logger: Logger

    private struct Loaded {
        var identity: UIDList.FileIdentity?
        var passwords: [String: String] = [:]
        var warnedPlain: Set<String> = []
        /// When `passwords` was last found to be the file's (its identity stat'ed, or the file read).
        var checked: ContinuousClock.Instant?
    }

    private let loaded = Mutex(Loaded())
    /// Recent successful logins, so a reconnecting client skips the hash.
    let verified: VerifiedCredentials
    /// How many passwords were hashed to be checked (a cache hit is not counted): for tests and metrics.
    public var hashedVerifications: Int { hashCount.load(ordering: .relaxed) }
    private let hashCount = Atomic<Int>(0)
    /// Checked against when the user does not exist, so a wrong address costs as long as a wrong password.
    private static let decoy =
        "{SHA512-CRYPT}$6$rounds=\(MailStoreDefaults.sha512CryptRounds)$correodecoysalt$"
        + "Fk5YXqqi1Za0EBM5.yFwR6ljmKGq5nu3QIu3ZbNpnmP6yXm2m8ZS5QDqdCdtm2bhfkYzFtkGWPIRPZm1hLm1Q."

    /// The users listed in `file` (normally `MailStore.users`, for STORAGE/passwords.txt).
    public convenience init(file: URL, logger: Logger = Logger(label: "correo.users")) {
        self.init(file: file, verified: VerifiedCredentials(), logger: logger)
    }

    /// The users in `file`, remembering verified passwords in `verified`.
    init(file: URL, verified: VerifiedCredentials, logger: Logger = Logger(label: "correo.users")) {
        self.file = file
        self.verified = verified
        self.logger = logger
    }

    /// Whether `password` is `address`'s password.
    ///
    /// Hashing runs on a blocking-I/O thread. A password verified in the last
    /// `MailStoreDefaults.verifiedCredentialsLifetime` against the same stored hash is not hashed again.
    public func verify(address: String, password: String) async -> Bool {
        guard (try? PasswordHash.checkAcceptable(password)) != nil else { return false }
        // As stored: lower-cased, an internationalised domain as its A-label.
        let user = (try? MailStore.normalizedUser(address)) ?? address.lowercased()
        return await BlockingIO.run { [self] in
            guard let stored = (try? currentPasswords())?[user] else {
                hashCount.add(1, ordering: .relaxed)
                _ = PasswordHash.verify(password, against: Self.decoy)
                return false
            }
            if !stored.hasPrefix("{"), loaded.withLock({ $0.warnedPlain.insert(user).inserted }) {
                logger.warning(
                    "passwords.txt keeps this user's password in plain text; `correo user passwd` hashes it",
                    metadata: ["user": "\(user)"]
                )
            }
            if verified.contains(user: user, password: password, stored: stored) { return true }
            hashCount.add(1, ordering: .relaxed)
            guard PasswordHash.verify(password, against: stored) else { return false }
            verified.insert(user: user, password: password, stored: stored)
            return true
        }
    }

    /// Whether `address` has a line in passwords.txt.
    public func contains(_ address: String) async -> Bool {
        await BlockingIO.run { [self] in ((try? currentPasswords())?[address.lowercased()]) != nil }
    }

    /// Whether `address` had a line in passwords.txt when the file was last looked at within `age`.
    ///
    /// False when unsure. Reads nothing, so an event loop may ask (see `MailStore.rememberedRecipient`).
    public func listedRecently(_ address: String, within age: Duration) -> Bool {
        loaded.withLock {
            guard let checked = $0.checked, ContinuousClock.now - checked <= age else { return false }
            return $0.passwords[address.lowercased()] != nil
        }
    }

    /// The addresses in passwords.txt, sorted.
    public func list() throws -> [String] {
        try currentPasswords().keys.sorted()
    }

    /// Adds `address` with a new `scheme` hash of `password`.
    public func add(_ address: String, password: String, scheme: PasswordScheme = .sha512Crypt) throws {
        let user = try MailStore.normalizedUser(address)
        let hash = try PasswordHash.make(password, scheme: scheme)
        try rewrite { lines in
            if lines.contains(where: { Self.parse($0)?.user == user }) { throw MailStoreError.userExists(user) }
            lines.append("\(user):\(hash)")
        }
    }

    /// Replaces `address`'s password (keeping any extra Dovecot fields on its line).
    public func setPassword(_ address: String, password: String, scheme: PasswordScheme = .sha512Crypt) throws {
        let user = address.lowercased()
        let hash = try PasswordHash.make(password, scheme: scheme)
        try rewrite { lines in
            guard let index = lines.firstIndex(where: { Self.parse($0)?.user == user }) else {
                throw MailStoreError.userNotFound(user)
            }
            let fields = lines[index].split(separator: ":", omittingEmptySubsequences: false)
            let keepsExtra = Self.parse(lines[index])?.hasExtraFields ?? false
            let extra = keepsExtra ? ":" + fields.dropFirst(2).joined(separator: ":") : ""
            lines[index] = "\(user):\(hash)" + extra
        }
    }

    /// Removes `address`'s line (its Maildir stays).
    public func remove(_ address: String) throws {
        let user = address.lowercased()
        try rewrite { lines in
            let before = lines.count
            lines.removeAll { Self.parse($0)?.user == user }
            if lines.count == before { throw MailStoreError.userNotFound(user) }
        }
    }

    // MARK: - The file

    func currentPasswords() throws -> [String: String] {
        let now = ContinuousClock.now
        let identity = UIDList.FileIdentity(path: file.path)
        let cached = loaded.withLock { loaded -> [String: String]? in
            guard loaded.identity != nil, loaded.identity == identity else { return nil }
            loaded.checked = now
            return loaded.passwords
        }
        if let cached { return cached }
        // A new or changed passwords.txt: nothing verified against the old one counts any more.
        verified.removeAll()
        guard identity != nil else {
            loaded.withLock {
                $0.passwords = [:]
                $0.identity = nil
                $0.checked = now
            }
            return [:]
        }
        var passwords: [String: String] = [:]
        for line in try readLines() {
            guard let entry = Self.parse(line) else { continue }
            if passwords[entry.user] == nil { passwords[entry.user] = entry.password }
        }
        loaded.withLock {
            $0.passwords = passwords
            $0.identity = identity
            $0.checked = now
        }
        return passwords
    }

    private func readLines() throws -> [String] {
        guard POSIX.fileExists(file.path) else { return [] }
        let text = String(decoding: try POSIX.readFile(file.path), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
    }

    /// One line's user and stored password; nil for blank lines, comments and lines without ':'.
    static func parse(_ line: String) -> (user: String, password: String, hasExtraFields: Bool)? {
        guard !line.hasPrefix("#"), line.utf8.count <= MailStoreDefaults.maximumPasswordLineBytes,
            let colon = line.firstIndex(of: ":")
        else { return nil }
        // Spaces and tabs around the address, trimmed by hand: Foundation's character sets are code a
        // restarted server's first login would page in from disk for this alone.
        var name = line[..<colon]
        while name.first == " " || name.first == "\t" { name.removeFirst() }
        while name.last == " " || name.last == "\t" { name.removeLast() }
        let user = name.lowercased()
        guard !user.isEmpty else { return nil }
        let rest = line[line.index(after: colon)...]
        let fieldCount = rest.split(separator: ":", omittingEmptySubsequences: false).count
        if rest.hasPrefix("{") || fieldCount >= 7 {
            let password = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
            return (user, String(password), fieldCount > 1)
        }
        return (user, String(rest), false)
    }

    /// Reads, changes and atomically rewrites the file (0600), under `passwords.txt.lock`.
    func rewrite(_ change: (inout [String]) throws -> Void) throws {
        let directory = file.deletingLastPathComponent()
        if !POSIX.isDirectory(directory.path) {
            try FileManager.default.createDirectory(
                at: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        try POSIX.withExclusiveLock(file.path + ".lock") {
            var lines = try readLines()
            while lines.last == "" { lines.removeLast() }
            try change(&lines)
            let text = lines.map { $0 + "\n" }.joined()
            try POSIX.writeFileAtomically(file.path, Array(text.utf8), mode: 0o600, durable: true)
        }
        loaded.withLock { $0.identity = nil }
    }
}
