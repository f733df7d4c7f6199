import Foundation
import Logging
import MailStorage
import NIOCore
import PostgresNIO

/// The outbound queue in `queue_entries`: every node of a cluster works the same queue.
///
/// A queued message's bytes are a body like any other (`message_bodies` and its chunks), its envelope
/// the JSON the Maildir queue keeps, with `next_attempt` and `held` beside it for the runner's index.
/// Every change is one transaction, committed before the call returns; a claim is one statement that
/// skips a row another node has locked rather than waiting for it.
extension PostgresMailStore: OutboundQueueStore {
    /// Stores `bytes` and the envelope (its size filled in) in one transaction, committed before it returns.
    public func enqueue(bytes: [UInt8], envelope: QueueEnvelope) async throws -> QueueEnvelope {
        var envelope = envelope
        envelope.size = bytes.count
        let queued = envelope
        let json = try QueueEnvelopeJSON.encode(queued)
        try await transaction { connection in
            let bodyID = try await insertBody(bytes, on: connection)
            try await connection.query(
                """
                INSERT INTO queue_entries (id, body_id, envelope, next_attempt, held)
                VALUES (\(queued.id), \(bodyID), \(json)::jsonb, \(queued.nextAttempt), \(queued.held))
                """,
                logger: logger
            )
        }
        return queued
    }

    /// Every queued message's envelope, oldest first (ids sort by age, byte by byte as the Maildir
    /// queue sorts its file names); an unreadable envelope is logged and skipped.
    public func envelopes() async throws -> [QueueEnvelope] {
        let rows = try await client.query(
            "SELECT id, envelope::text FROM queue_entries ORDER BY id COLLATE \"C\"",
            logger: logger
        )
        var envelopes: [QueueEnvelope] = []
        for try await (id, json) in rows.decode((String, String).self) {
            do {
                envelopes.append(try QueueEnvelopeJSON.decode(json, id: id))
            } catch {
                logger.error("unreadable queue envelope", metadata: ["queue_id": "\(id)", "error": "\(error)"])
            }
        }
        return envelopes
    }

    /// The envelope of message `id`, or nil when it is not (or no longer) queued.
    public func envelope(_ id: String) async throws -> QueueEnvelope? {
        let rows = try await client.query(
            "SELECT envelope::text FROM queue_entries WHERE id = \(id)",
            logger: logger
        )
        var found: QueueEnvelope?
        for try await json in rows.decode(String.self) { found = try QueueEnvelopeJSON.decode(json, id: id) }
        return found
    }

    /// Message `id`'s bytes, from its body's chunks in order.
    ///
    /// `MailStoreError.io` with `ENOENT` when it is not queued: what the Maildir queue throws when
    /// queue/messages/ID is missing, so callers meet one error whichever backend they use.
    public func message(_ id: String) async throws -> [UInt8] {
        let rows = try await client.query(
            """
            SELECT c.data FROM queue_entries q
            LEFT JOIN message_chunks c ON c.body_id = q.body_id
            WHERE q.id = \(id)
            ORDER BY c.seq
            """,
            logger: logger
        )
        guard let bytes = try await Self.joinedChunks(of: rows) else {
            throw MailStoreError.io(operation: "read", path: "queue_entries/" + id, errno: ENOENT)
        }
        return bytes
    }

    /// Changes message `id`'s envelope in one transaction; nil when the message is gone.
    ///
    /// The envelope is read again under its row's lock (`FOR UPDATE`), `body` applied, and the result
    /// stored, or the message removed (with its body) when nothing is left pending and `removeWhenFinished`.
    public func update<Result: Sendable>(
        _ id: String,
        removeWhenFinished: Bool,
        _ body: @Sendable (inout QueueEnvelope) -> Result
    ) async throws -> (envelope: QueueEnvelope, result: Result)? {
        try await transaction { connection in
            let rows = try await connection.query(
                "SELECT body_id, envelope::text FROM queue_entries WHERE id = \(id) FOR UPDATE",
                logger: logger
            )
            var found: (bodyID: Int64, json: String)?
            for try await (bodyID, json) in rows.decode((Int64, String).self) { found = (bodyID, json) }
            guard let found else { return nil }
            var envelope = try QueueEnvelopeJSON.decode(found.json, id: id)
            let result = body(&envelope)
            if removeWhenFinished, envelope.isFinished {
                try await connection.query("DELETE FROM queue_entries WHERE id = \(id)", logger: logger)
                try await deleteUnreferencedBodies([found.bodyID], on: connection)
            } else {
                try await store(envelope, id: id, on: connection)
            }
            return (envelope, result)
        }
    }

    /// Takes message `id` out of the queue with its body (nothing else uses a queued body); nothing
    /// happens when it is not queued.
    public func remove(_ id: String) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                "DELETE FROM queue_entries WHERE id = \(id) RETURNING body_id",
                logger: logger
            )
            var bodies: [Int64] = []
            for try await bodyID in rows.decode(Int64.self) { bodies.append(bodyID) }
            try await deleteUnreferencedBodies(bodies, on: connection)
        }
    }

    /// Claims message `id` for `worker` until `until`, in one statement that never waits on another node.
    ///
    /// The row is locked with `FOR UPDATE SKIP LOCKED`: a row another transaction holds is skipped
    /// (false), and one whose claim changed meanwhile is checked again as committed. It is claimable
    /// when unclaimed, when its claim ran out by the database's clock, or when `worker` holds it
    /// already. False, too, when the message is not queued.
    public func claim(_ id: String, worker: String, until: Date) async throws -> Bool {
        try await client.query(
            """
            UPDATE queue_entries SET claimed_by = \(worker), claimed_until = \(until)
            WHERE id = (
                SELECT id FROM queue_entries
                WHERE id = \(id)
                  AND (claimed_by IS NULL OR claimed_until < now() OR claimed_by = \(worker))
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,
            logger: logger
        ).foundAny()
    }

    /// Clears the claim on `id` if `worker` holds it; another worker's claim is left alone.
    public func release(_ id: String, worker: String) async throws {
        try await client.query(
            """
            UPDATE queue_entries SET claimed_by = NULL, claimed_until = NULL
            WHERE id = \(id) AND claimed_by = \(worker)
            """,
            logger: logger
        )
    }

    /// Nothing to do: an entry and its body are written, and removed, in one transaction each, so a
    /// crash leaves either both or neither; a claim left by a dead node runs out by itself.
    public func sweep() async {}

    // MARK: - Steps inside a transaction

    /// Writes `envelope` over entry `id`, with its `next_attempt` and `held` columns.
    private func store(_ envelope: QueueEnvelope, id: String, on connection: PostgresConnection) async throws {
        let json = try QueueEnvelopeJSON.encode(envelope)
        try await connection.query(
            """
            UPDATE queue_entries
            SET envelope = \(json)::jsonb, next_attempt = \(envelope.nextAttempt), held = \(envelope.held)
            WHERE id = \(id)
            """,
            logger: logger
        )
    }
}

/// A queue envelope as JSON, in the form the Maildir queue writes (ISO 8601 dates), so an envelope
/// reads the same whichever backend kept it.
enum QueueEnvelopeJSON {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The JSON text of `envelope`.
    static func encode(_ envelope: QueueEnvelope) throws -> String {
        String(decoding: try encoder.encode(envelope), as: UTF8.self)
    }

    /// The envelope of entry `id` from its JSON text; `MailStoreError.corruptFile` when it is none.
    static func decode(_ json: String, id: String) throws -> QueueEnvelope {
        do {
            return try decoder.decode(QueueEnvelope.self, from: Data(json.utf8))
        } catch {
            throw MailStoreError.corruptFile(path: "queue_entries/" + id, reason: "not a queue envelope: \(error)")
        }
    }
}
