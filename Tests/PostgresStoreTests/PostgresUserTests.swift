import MailStore
import MailTestSupport
import Testing

@testable import PostgresStore

/// Users' passwords and removal against the PostgreSQL store.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresUserTests {
    @Test func passwordsAreVerifiedAgainstTheStoredHash() async throws {
        try await PostgresStoreFixture.with { store, _ throws in
            let user = PostgresStoreFixture.user
            // The fixture's user has no password yet: nothing matches.
            #expect(!(try await store.verify(address: user, password: "secret")))
            try await store.setPassword("ANA@example.com", password: "correct horse")
            #expect(try await store.verify(address: "Ana@Example.com", password: "correct horse"))
            #expect(!(try await store.verify(address: user, password: "Correct horse")))
            #expect(!(try await store.verify(address: user, password: "")))
            #expect(!(try await store.verify(address: user, password: "correct horse\n")))
            #expect(!(try await store.verify(address: "nobody@example.com", password: "correct horse")))
            try await store.setPassword(user, password: "battery staple", scheme: .pbkdf2)
            #expect(try await store.verify(address: user, password: "battery staple"))
            #expect(!(try await store.verify(address: user, password: "correct horse")))
            try await store.createUser("bo@example.com", passwordHash: try PasswordHash.make("bo's"))
            #expect(try await store.verify(address: "bo@example.com", password: "bo's"))
            await #expect(throws: MailStoreError.userNotFound("nobody@example.com")) {
                try await store.setPassword("nobody@example.com", password: "x")
            }
            await #expect(throws: MailStoreError.self) { try await store.setPassword(user, password: "") }
        }
    }

    /// A verified password is remembered against the hash it was checked with: the next login skips the
    /// hash, a wrong password never does, and a password changed or a user removed on another node (the
    /// hash in the database is another, or none) ends the entry without any message between the nodes.
    @Test func verifiedPasswordsAreRememberedUntilTheHashChangesOnAnyNode() async throws {
        try await PostgresServer.with { server throws in
            let url = try PostgresStoreURL(server.url)
            try await PostgresMailStore.withStore(url: url) { first throws in
                try await first.migrate()
                let user = "ana@example.com"
                try await first.addUser(user, password: "one")
                #expect(first.verifiedCredentials.count == 0)
                #expect(try await first.verify(address: "ANA@example.com", password: "one"))
                #expect(first.verifiedCredentials.count == 1)
                #expect(!(try await first.verify(address: user, password: "two")), "a wrong password is hashed")
                let stored = try #require(try await first.storedPasswordHash(user))
                // The cache is what answers: an entry for another password, against the hash in the
                // database, is taken as it stands.
                first.verifiedCredentials.insert(user: user, password: "remembered", stored: stored)
                #expect(try await first.verify(address: user, password: "remembered"))

                try await PostgresMailStore.withStore(url: url) { second throws in
                    try await second.setPassword(user, password: "two")
                    #expect(!(try await first.verify(address: user, password: "one")), "the hash changed")
                    #expect(!(try await first.verify(address: user, password: "remembered")))
                    #expect(try await first.verify(address: user, password: "two"))
                    try await second.removeUser(user)
                    #expect(!(try await first.verify(address: user, password: "two")), "the user is gone")
                }
            }
        }
    }

    @Test func removingAUserRemovesItsMailAndFreesOnlyItsBodies() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            try await store.createUser("bo@example.com")
            try await store.createUser("cy@example.com")
            #expect(try await store.listUsers() == ["ana@example.com", "bo@example.com", "cy@example.com"])
            let bo = try await store.mailbox(user: "bo@example.com", name: .inbox)
            _ = try await store.deliver(PostgresStoreFixture.message(seed: 1), to: [inbox, bo])
            _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: bo)
            try await store.removeUser("BO@example.com")
            #expect(try await store.listUsers() == ["ana@example.com", "cy@example.com"])
            #expect(!(try await store.userExists("bo@example.com")))
            let counts = try await store.counts()
            #expect(counts.messages == 1)
            #expect(counts.bodies == 1)
            #expect(counts.mailboxes == 12)
            await #expect(throws: MailStoreError.userNotFound("bo@example.com")) {
                try await store.removeUser("bo@example.com")
            }
        }
    }
}
