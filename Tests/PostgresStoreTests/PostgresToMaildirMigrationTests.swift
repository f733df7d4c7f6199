import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// `correo migrate`'s way back (`PostgresToMaildirMigration`): a Maildir store copied into PostgreSQL and
/// from there into a new Maildir store must look, to MailStore as IMAP opens it, like the first one.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresToMaildirMigrationTests {
    @Test func aRoundTripKeepsWhatClientsCached() async throws {
        try await TemporaryDirectory.with { directory in
            let original = try await MaildirMigrationTests.makeMaildirStore(in: directory)
            let copyRoot = directory.url.appendingPathComponent("copy", isDirectory: true)
            try await PostgresServer.with { server throws in
                try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                    try await store.migrate()
                    let there = MaildirMigration(source: original, target: store)
                    for user in try there.users() { _ = try await there.migrate(user: user) }
                    // A folder MailStore makes for every user, which this user of the database has not.
                    let junk = try MailboxName(["Junk"])
                    try await store.deleteMailbox(user: MaildirMigrationTests.bo, name: junk)
                    try await original.deleteMailbox(user: MaildirMigrationTests.bo, name: junk)

                    let back = PostgresToMaildirMigration(source: store, target: MailStore(root: copyRoot))
                    #expect(try await back.users() == [MaildirMigrationTests.ana, MaildirMigrationTests.bo])
                    let ana = try await back.migrate(user: MaildirMigrationTests.ana)
                    #expect(!ana.skipped)
                    #expect(ana.mailboxes == 8)
                    #expect(ana.messages == 6)
                    #expect(try await !back.migrate(user: MaildirMigrationTests.bo).skipped)

                    // A second run finds every user there and changes nothing. Listed before MailStore opens
                    // the copy below: an open mailbox settles and writes its caches in the background.
                    let before = try Self.listing(copyRoot)
                    for user in try await back.users() { #expect(try await back.migrate(user: user).skipped) }
                    #expect(try Self.listing(copyRoot) == before)

                    // Opened afresh, as a server would open it.
                    let copy = MailStore(root: copyRoot)
                    #expect(try copy.users.list() == (try original.users.list()))
                    for user in try original.users.list() {
                        #expect(try copy.users.storedPassword(user) == (try original.users.storedPassword(user)))
                        try await Self.expectSame(user, original, copy)
                    }
                    #expect(await copy.users.verify(address: MaildirMigrationTests.ana, password: "ana's pass"))
                    #expect(await copy.users.verify(address: MaildirMigrationTests.bo, password: "bo plain"))

                    // Each message keeps the database's mod-sequence, each mailbox its HIGHESTMODSEQ at least
                    // (an empty one too, which has no message to carry it).
                    for name in try await store.mailboxNames(user: MaildirMigrationTests.ana) {
                        let there = try await store.mailbox(user: MaildirMigrationTests.ana, name: name)
                        let here = try await copy.mailbox(user: MaildirMigrationTests.ana, name: name)
                        #expect(await here.highestModSeq >= (try await store.state(of: there).highestModSeq))
                        let stored = try await store.messages(in: there).map(\.modSeq)
                        let kept = await here.snapshot().map(\.modSeq)
                        #expect(kept == stored)
                    }
                    #expect(!FileManager.default.fileExists(atPath: copyRoot.path + "/.correo-migrate"))

                    // New mail continues the old numbering.
                    let inbox = try await copy.mailbox(user: MaildirMigrationTests.ana, name: .inbox)
                    let next = await inbox.uidNext
                    let uid = try await inbox.append(bytes: MaildirMigrationTests.message(9))
                    #expect(uid == next)
                }
            }
        }
    }

    @Test func aStoredPasswordPasswordsTxtCannotKeepIsRefused() async throws {
        try await TemporaryDirectory.with { directory in
            let users = MailStore(root: directory.url).users
            for bad in ["", "a:b", "line\nbreak", "cr\rhere"] {
                #expect(throws: MailStoreError.self) { try users.add("cy@example.com", storedPassword: bad) }
            }
            try users.add("cy@example.com", storedPassword: "{PLAIN}kept as it is")
            #expect(try users.storedPassword("cy@example.com") == "{PLAIN}kept as it is")
            #expect(throws: MailStoreError.self) { try users.add("cy@example.com", storedPassword: "again") }
        }
    }

    /// Every mailbox of `user` in `copy` as in `original`: names, subscriptions, UIDVALIDITY, UIDNEXT,
    /// HIGHESTMODSEQ not lower, UIDs, flags, keywords, sizes, internal dates, mod-sequences not lower,
    /// and the bytes.
    static func expectSame(_ user: String, _ original: MailStore, _ copy: MailStore) async throws {
        let infos = try await original.listMailboxes(user: user)
        let copied = try await copy.listMailboxes(user: user)
        #expect(copied.map(\.name) == infos.map(\.name))
        #expect(copied.map(\.subscribed) == infos.map(\.subscribed))
        for info in infos {
            let old = try await original.mailbox(user: user, name: info.name)
            let new = try await copy.mailbox(user: user, name: info.name)
            #expect(await new.uidValidity == (await old.uidValidity))
            #expect(await new.uidNext == (await old.uidNext))
            #expect(await new.highestModSeq >= (await old.highestModSeq))
            let records = await old.snapshot()
            let fresh = await new.snapshot()
            #expect(fresh.map(\.uid) == records.map(\.uid))
            #expect(fresh.map(\.flags) == records.map(\.flags))
            #expect(fresh.map(\.keywords) == records.map(\.keywords))
            #expect(fresh.map(\.size) == records.map(\.size))
            #expect(fresh.map(\.internalDate) == records.map(\.internalDate))
            for (a, b) in zip(fresh, records) { #expect(a.modSeq >= b.modSeq) }
            for record in records {
                #expect(try await new.readMessage(uid: record.uid) == (try await old.readMessage(uid: record.uid)))
            }
        }
    }

    /// Every path under `root` with its size and modification time.
    static func listing(_ root: URL) throws -> [String] {
        let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return try paths.sorted().map { path in
            let attributes = try FileManager.default.attributesOfItem(atPath: root.path + "/" + path)
            return "\(path) \(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
        }
    }
}
