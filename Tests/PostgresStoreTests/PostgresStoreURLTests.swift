import Testing

@testable import PostgresStore

/// `--store postgres://…`: libpq's URL form.
@Suite(.offThePool)
struct PostgresStoreURLTests {
    @Test func aFullURL() throws {
        let url = try PostgresStoreURL("postgres://mail:s%40cret@db.example.com:5433/correo?sslmode=require")
        #expect(url.user == "mail")
        #expect(url.password == "s@cret")
        #expect(url.host == "db.example.com")
        #expect(url.port == 5433)
        #expect(url.database == "correo")
        #expect(url.requiresTLS)
        #expect(url.socketDirectory == nil)
        #expect(!url.description.contains("cret"))
    }

    @Test func defaultsAndTheUnixSocket() throws {
        let url = try PostgresStoreURL("postgresql:///mail?host=/run/postgresql")
        #expect(url.user == "correo")
        #expect(url.database == "mail")
        #expect(url.port == 5432)
        #expect(url.socketDirectory == "/run/postgresql")
        #expect(!url.requiresTLS)
    }

    @Test(arguments: ["mysql://a@b/c", "postgres://a@b/c?sslmode=allow", "not a url", "postgres://a@b:0/c"])
    func refused(text: String) {
        #expect(throws: PostgresStoreError.self) { try PostgresStoreURL(text) }
    }
}
