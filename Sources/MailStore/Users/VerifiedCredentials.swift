import Crypto
import Foundation
import Synchronization

/// Passwords that were recently verified, so that a client reconnecting with the same password does not
/// pay the hash (SHA512-CRYPT at 100,000 rounds is ~50 ms of CPU) every time.
///
/// What is kept is never the password: an HMAC-SHA256 of user and password under a key made for this
/// process and lost with it, beside the stored hash the password was checked against. An entry answers
/// only while that stored hash is unchanged (a new password, a removed user: the entry is dead), for
/// `lifetime` after it was made, and only for a success — a wrong password always costs the full hash,
/// so guessing is as slow as without the cache. Dovecot's `auth_cache_size`/`auth_cache_ttl` keep the
/// same trade; correo keeps it on, bounded in entries and time. passwords.txt (`Users`) and the
/// PostgreSQL store each keep one; since an entry is tied to the stored hash, a password changed on
/// another node kills this node's entry without any message between them.
public final class VerifiedCredentials: Sendable {
    private struct Entry {
        var stored: String
        var digest: HashedAuthenticationCode<SHA256>
        var verifiedAt: Date
    }

    private let key = SymmetricKey(size: .bits256)
    private let entries = Mutex([String: Entry]())
    private let capacity: Int
    private let lifetime: TimeInterval
    private let now: @Sendable () -> Date

    /// A cache of at most `capacity` users, each entry good for `lifetime` seconds on `now`'s clock.
    public init(
        capacity: Int = MailStoreDefaults.verifiedCredentialsCapacity,
        lifetime: TimeInterval = MailStoreDefaults.verifiedCredentialsLifetime,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.capacity = capacity
        self.lifetime = lifetime
        self.now = now
    }

    /// Whether `password` was verified for `user` against `stored` within the lifetime.
    ///
    /// Never for a plain stored password: comparing it costs less than the HMAC that would look it up.
    public func contains(user: String, password: String, stored: String) -> Bool {
        guard Self.isWorthKeeping(stored) else { return false }
        let digest = self.digest(user: user, password: password)
        let time = now()
        return entries.withLock { entries in
            guard let entry = entries[user] else { return false }
            guard entry.stored == stored, time.timeIntervalSince(entry.verifiedAt) < lifetime,
                time >= entry.verifiedAt
            else {
                entries[user] = nil
                return false
            }
            // HashedAuthenticationCode's == compares in constant time.
            return entry.digest == digest
        }
    }

    /// Remembers that `password` is `user`'s, as checked against `stored`.
    public func insert(user: String, password: String, stored: String) {
        guard Self.isWorthKeeping(stored) else { return }
        let entry = Entry(stored: stored, digest: digest(user: user, password: password), verifiedAt: now())
        entries.withLock { entries in
            if entries[user] == nil, entries.count >= capacity {
                // Full: the oldest entry goes (a linear pass, only when full and only on a success).
                if let oldest = entries.min(by: { $0.value.verifiedAt < $1.value.verifiedAt })?.key {
                    entries[oldest] = nil
                }
            }
            entries[user] = entry
        }
    }

    /// Whether a password checked against `stored` is worth an entry: a hash, not the password itself.
    ///
    /// A `{PLAIN}` or bare password is compared as it is; an entry would only add an HMAC (SHA-256
    /// code a restarted server pages in from disk for its first login) and keep a digest of it.
    static func isWorthKeeping(_ stored: String) -> Bool {
        PasswordHash.split(stored).0 != .plain
    }

    /// Forgets everything (passwords.txt changed).
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// How many users have an entry, dead or alive.
    public var count: Int { entries.withLock { $0.count } }

    private func digest(user: String, password: String) -> HashedAuthenticationCode<SHA256> {
        // NUL cannot be in an address, so user and password cannot be shifted across the boundary.
        HMAC<SHA256>.authenticationCode(for: Array(user.utf8) + [0] + Array(password.utf8), using: key)
    }
}
