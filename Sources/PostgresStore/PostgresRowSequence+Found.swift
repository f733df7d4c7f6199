import PostgresNIO

extension PostgresRowSequence {
    /// Whether the statement returned any row (an `UPDATE … RETURNING` that found its target); reads
    /// the rows to the end, so the connection is free for the next statement.
    func foundAny() async throws -> Bool {
        var found = false
        for try await _ in self { found = true }
        return found
    }
}
