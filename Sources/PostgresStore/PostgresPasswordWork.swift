import Dispatch
import MailStore

/// Password hashing on Dispatch threads: a SHA-512 crypt of 100 000 rounds takes tens of milliseconds,
/// which must never be spent on one of the cooperative pool's few threads.
///
/// MailStore has the same helper (`BlockingIO`) but keeps it internal; this one serves only the
/// PostgreSQL store's password checks.
enum PostgresPasswordWork {
    private static let queue = DispatchQueue(
        label: "correo.postgres.password-hashing",
        qos: .userInitiated,
        attributes: .concurrent
    )

    /// Checked against when the user does not exist or has no password: a hash of the same scheme and
    /// rounds as the stored ones (`MailStoreDefaults.sha512CryptRounds`), that no password matches in
    /// practice, so that an unknown address costs as long as a wrong password.
    static let decoy =
        "{SHA512-CRYPT}$6$rounds=\(MailStoreDefaults.sha512CryptRounds)$pgstoredecoy$"
        + String(repeating: "Q", count: 86)

    /// Runs `work` on a hashing thread and returns its result.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs work that cannot fail on a hashing thread.
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
