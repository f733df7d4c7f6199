import MailStore
import MailTestSupport
import PostgresStore
import Testing

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
