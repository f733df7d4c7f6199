import MailTestSupport
import Testing

@testable import PostgresStore

/// `correo db migrate` against a real PostgreSQL: every version once, in order, and never again.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct SchemaMigrationTests {
    @Test func migrationsApplyInOrderAndARerunAppliesNothing() async throws {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                let known = SchemaMigration.all.map(\.version)
                #expect(try await store.schemaStatus() == .init(applied: [], pending: known))
                #expect(try await store.migrate() == known)
                #expect(try await store.migrate() == [])
                #expect(try await store.schemaStatus() == .init(applied: known, pending: []))
                // The tables are there and usable.
                try await store.createUser("ana@example.com")
                #expect(try await store.counts().mailboxes == 6)
            }
        }
    }

    @Test func aNewVersionAppliesOnTopOfAnOlderSchemaAndANewerSchemaIsRefused() async throws {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                let first = SchemaMigrator(migrations: [SchemaMigration.version1])
                #expect(try await store.migrate(first) == [1])
                let later = SchemaMigration.all.dropFirst().map(\.version)
                #expect(try await store.schemaStatus().pending == later)
                #expect(try await store.migrate() == later)
                // A binary that knows only version 1 must not write to a newer database.
                await #expect(throws: PostgresStoreError.schemaTooNew(found: SchemaMigration.latestVersion, known: 1)) {
                    try await store.migrate(first)
                }
            }
        }
    }

    @Test func version3TurnsTheSubscribedMarksIntoNames() async throws {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                let before = SchemaMigrator(migrations: [SchemaMigration.version1, SchemaMigration.version2])
                #expect(try await store.migrate(before) == [1, 2])
                // A database as version 2 left it: marks on a user's mailboxes and on a newsgroup's.
                try await store.client.query(
                    """
                    WITH ana AS (INSERT INTO users (address) VALUES ('ana@example.com') RETURNING id)
                    INSERT INTO mailboxes (user_id, name, uid_validity, subscribed)
                    SELECT ana.id, v.name, v.validity, v.subscribed FROM ana,
                           (VALUES ('INBOX', 1, true), ('Lists', 2, false), ('Work', 3, true)) AS v(name, validity, subscribed)
                    """,
                    logger: store.logger
                )
                try await store.client.query(
                    "INSERT INTO mailboxes (user_id, name, uid_validity) VALUES (NULL, 'news.example', 4)",
                    logger: store.logger
                )
                #expect(try await store.migrate() == Array(3...SchemaMigration.latestVersion))
                let user = "ana@example.com"
                #expect(try await store.subscriptions(user: user).map(\.description) == ["INBOX", "Work"])
                let listed = try await store.listMailboxes(user: user)
                #expect(listed.map(\.name.description) == ["INBOX", "Lists", "Work"])
                #expect(listed.map(\.subscribed) == [true, false, true])
            }
        }
    }

    @Test func nodesMigratingAtOnceApplyEachVersionOnce() async throws {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<4 { group.addTask { try await store.migrate() } }
                    return try await group.reduce(into: [Int]()) { $0 += $1 }
                }
                #expect(applied.sorted() == SchemaMigration.all.map(\.version))
            }
        }
    }

    @Test func aFailingMigrationLeavesTheVersionBeforeIt() async throws {
        try await PostgresServer.with { server throws in
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                let broken = SchemaMigration(
                    version: 2,
                    name: "broken",
                    sql: "CREATE TABLE half_done (id integer); SELECT no_such_function();"
                )
                await #expect(throws: (any Error).self) {
                    try await store.migrate(SchemaMigrator(migrations: [SchemaMigration.version1, broken]))
                }
                #expect(try await store.schemaStatus().applied == [1])
                // Nothing of version 2 stayed: the real ones apply cleanly.
                #expect(try await store.migrate() == SchemaMigration.all.dropFirst().map(\.version))
            }
        }
    }
}

/// The splitter that turns a migration into single statements.
@Suite(.offThePool)
struct SQLStatementsTests {
    @Test(arguments: [
        ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        ("SELECT ';'; SELECT 2", ["SELECT ';'", "SELECT 2"]),
        ("SELECT 'it''s; fine'", ["SELECT 'it''s; fine'"]),
        ("-- a; comment\nSELECT 1;", ["-- a; comment\nSELECT 1"]),
        ("/* a; b */ SELECT 1", ["/* a; b */ SELECT 1"]),
        (
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2",
            [
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT 2",
            ]
        ),
        ("DO $body$ BEGIN PERFORM 1; END $body$;", ["DO $body$ BEGIN PERFORM 1; END $body$"]),
        ("SELECT $1, \"a;b\"", ["SELECT $1, \"a;b\""]),
        (" ; ;\n", []),
    ])
    func splits(sql: String, expected: [String]) {
        #expect(SQLStatements.split(sql) == expected)
    }
}
