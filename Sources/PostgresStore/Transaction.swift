import Logging
import PostgresNIO

/// `BEGIN` … `COMMIT` around a body, `ROLLBACK` when it throws; the body's own error is rethrown as it
/// was (postgres-nio's `withTransaction` wraps it), so callers can match `PostgresStoreError`.
///
/// `COMMIT` returning is the durability point: with PostgreSQL's default `synchronous_commit = on`
/// the transaction's WAL is flushed to disk before it answers, which is what a `250` or an `OK` waits for.
enum Transaction {
    static func run<Result: Sendable>(
        on connection: PostgresConnection,
        logger: Logger,
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            // After a failed COMMIT the server has already ended the transaction; ROLLBACK is then a no-op.
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
