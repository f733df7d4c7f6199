import MailStorage
import MailTestSupport
import Testing

/// `UserDirectory` as every backend must answer it.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct UserDirectoryConformanceTests {
    @Test(arguments: StorageBackend.allCases)
    func usersAreAddedVerifiedChangedAndRemoved(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser("Ana@Example.com", password: "first secret")
            try await store.addUser("bo@example.com", password: "bo's secret")
            #expect(try await store.listUsers() == ["ana@example.com", "bo@example.com"])
            #expect(try await store.userExists("ana@example.com"))
            #expect(try await store.userExists("ANA@example.com"))
            #expect(try await !store.userExists("cy@example.com"))
            await #expect(throws: MailStoreError.userExists("ana@example.com")) {
                try await store.addUser("ana@example.com", password: "another")
            }

            #expect(try await store.verify(address: "ana@example.com", password: "first secret"))
            #expect(try await store.verify(address: "ANA@EXAMPLE.COM", password: "first secret"))
            #expect(try await !store.verify(address: "ana@example.com", password: "First secret"))
            #expect(try await !store.verify(address: "ana@example.com", password: ""))
            #expect(try await !store.verify(address: "cy@example.com", password: "first secret"))
            // One user's password is not another's.
            #expect(try await !store.verify(address: "bo@example.com", password: "first secret"))

            try await store.setPassword("ana@example.com", password: "second secret")
            #expect(try await !store.verify(address: "ana@example.com", password: "first secret"))
            #expect(try await store.verify(address: "ana@example.com", password: "second secret"))
            await #expect(throws: MailStoreError.userNotFound("cy@example.com")) {
                try await store.setPassword("cy@example.com", password: "whatever")
            }

            try await store.removeUser("ana@example.com")
            #expect(try await store.listUsers() == ["bo@example.com"])
            #expect(try await !store.verify(address: "ana@example.com", password: "second secret"))
            #expect(try await store.verify(address: "bo@example.com", password: "bo's secret"))
            await #expect(throws: MailStoreError.userNotFound("ana@example.com")) {
                try await store.removeUser("ana@example.com")
            }
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func anAddressThatCannotBeAUserIsRefused(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            for address in ["", "no-at-sign", "@example.com", "ana@"] {
                await #expect(throws: MailStoreError.invalidAddress(address)) {
                    try await store.addUser(address, password: "secret")
                }
            }
            let users = try await store.listUsers()
            #expect(users.isEmpty)
        }
    }
}
