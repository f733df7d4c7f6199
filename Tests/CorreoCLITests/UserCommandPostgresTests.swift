import Foundation
import MailTestSupport
import PostgresStore
import Testing

/// `correo user … --store postgres://…` run as a real subprocess against a real PostgreSQL server.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct UserCommandPostgresTests {
    @Test func addChangeListAndRemoveUsersInTheDatabase() async throws {
        try await PostgresServer.with { server throws in
            let store = ["--store", server.url]
            // Before `correo db migrate`, the database is said to need it.
            let early = try CorreoBinary.run(["user", "list"] + store)
            #expect(early.status == 1)
            #expect(
                early.standardError.contains("lacks version 1, ")
                    && early.standardError.contains("run `correo db migrate` first"),
                "\(early.standardError)"
            )
            #expect(try CorreoBinary.run(["db", "migrate"] + store).status == 0)

            let added = try CorreoBinary.run(
                ["user", "add", "Ana@Example.com", "--password-stdin"] + store,
                input: "ana's first\n"
            )
            #expect(added.status == 0, "\(added.standardError)")
            #expect(added.standardOutput.contains("added ana@example.com to "))
            // CORREO_STORE names the store as the flag does.
            let bo = try CorreoBinary.run(
                ["user", "add", "bo@example.com", "--password-stdin"],
                input: "bo's\n",
                environment: ["CORREO_STORE": server.url]
            )
            #expect(bo.status == 0, "\(bo.standardError)")
            let again = try CorreoBinary.run(
                ["user", "add", "ana@example.com", "--password-stdin"] + store,
                input: "other\n"
            )
            #expect(again.status == 1)
            #expect(again.standardError.contains("user 'ana@example.com' already exists"), "\(again.standardError)")
            let listed = try CorreoBinary.run(["user", "list"] + store)
            #expect(listed.standardOutput == "ana@example.com\nbo@example.com\n")

            let changed = try CorreoBinary.run(
                ["user", "passwd", "ana@example.com", "--password-stdin"] + store,
                input: "ana's second\n"
            )
            #expect(changed.status == 0, "\(changed.standardError)")
            let unknown = try CorreoBinary.run(
                ["user", "passwd", "cy@example.com", "--password-stdin"] + store,
                input: "x\n"
            )
            #expect(unknown.status == 1)
            #expect(unknown.standardError.contains("no user 'cy@example.com'"), "\(unknown.standardError)")
            try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { database throws in
                #expect(try await database.verify(address: "ana@example.com", password: "ana's second"))
                #expect(try await !database.verify(address: "ana@example.com", password: "ana's first"))
                // A new user has INBOX and the special-use folders, as the Maildir store makes them.
                #expect(try await database.mailboxNames(user: "ana@example.com").count == 6)
            }

            let removed = try CorreoBinary.run(["user", "del", "ana@example.com"] + store)
            #expect(removed.status == 0, "\(removed.standardError)")
            #expect(try CorreoBinary.run(["user", "list"] + store).standardOutput == "bo@example.com\n")
            let gone = try CorreoBinary.run(["user", "del", "ana@example.com"] + store)
            #expect(gone.status == 1)
            #expect(gone.standardError.contains("no user 'ana@example.com'"), "\(gone.standardError)")

            let badURL = try CorreoBinary.run(["user", "list", "--store", "mysql://nope"])
            #expect(badURL.status != 0)
            #expect(badURL.standardError.contains("--store"), "\(badURL.standardError)")
        }
    }
}
