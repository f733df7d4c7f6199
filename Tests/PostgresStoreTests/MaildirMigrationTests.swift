import Foundation
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// `correo migrate`'s copy (`MaildirMigration`) from a Maildir store built with MailStore's own API into
/// a real PostgreSQL store: what an IMAP client cached must still hold afterwards.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct MaildirMigrationTests {
    static let ana = "ana@example.com"
    static let bo = "bo@example.com"
    static let lists = try! MailboxName(["Lists"])
    static let swift = try! MailboxName(["Lists", "swift"])

    @Test func usersMailboxesAndMessagesArriveAsTheyWere() async throws {
        try await TemporaryDirectory.with { directory in
            let maildir = try await Self.makeMaildirStore(in: directory)
            try await PostgresServer.with { server throws in
                try await PostgresMailStore.withStore(url: try PostgresStoreURL(server.url)) { store throws in
                    try await store.migrate()
                    let migration = MaildirMigration(source: maildir, target: store)
                    #expect(try migration.users() == [Self.ana, Self.bo])
                    let first = try await migration.migrate(user: Self.ana)
                    #expect(!first.skipped)
                    #expect(first.mailboxes == 8)  // INBOX, five special-use folders, Lists, Lists/swift
                    #expect(first.messages == 6)
                    #expect(try await !migration.migrate(user: Self.bo).skipped)
                    for user in [Self.ana, Self.bo] { try await Self.expectSame(user, maildir, store) }
                    let counts = try await store.counts()
                    #expect(counts.messages == 8)
                    #expect(counts.bodies == 6)
                    #expect(try await store.subscriptions(user: Self.ana).contains(Self.lists))
                    #expect(try await !store.subscriptions(user: Self.ana).contains(Self.swift))
                    // RFC 3501 6.3.6: a subscription to a name without a mailbox is kept.
                    #expect(try await store.subscriptions(user: Self.ana).contains(try MailboxName(["Gone"])))
                    #expect(try await store.verify(address: Self.ana, password: "ana's pass"))
                    #expect(try await store.verify(address: Self.bo, password: "bo plain"))
                    #expect(try await !store.verify(address: Self.bo, password: "bo plai"))

                    // A second run finds every user there already and changes nothing.
                    let before = try await store.counts()
                    for user in try migration.users() { #expect(try await migration.migrate(user: user).skipped) }
                    #expect(try await store.counts() == before)

                    // New mail continues the old numbering; a new mailbox never reuses an old UIDVALIDITY.
                    let inbox = try await store.mailbox(user: Self.ana, name: .inbox)
                    let uid = try await store.append(Array("Subject: after\r\n\r\nhi\r\n".utf8), to: inbox)
                    #expect(uid == (try await maildir.mailbox(user: Self.ana, name: .inbox).uidNext))
                    let made = try await store.makeMailbox(user: Self.ana, name: try MailboxName(["New"]))
                    var validities: [UInt32] = []
                    for info in try await maildir.listMailboxes(user: Self.ana) {
                        validities.append(try await maildir.mailbox(user: Self.ana, name: info.name).uidValidity)
                    }
                    #expect(made.uidValidity > validities.max() ?? 0)
                }
            }
        }
    }

    /// Every mailbox of `user` in PostgreSQL as in the Maildir: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ not
    /// lower, the records (UIDs, flags, keywords, sizes, internal dates) and the bytes.
    static func expectSame(_ user: String, _ maildir: MailStore, _ store: PostgresMailStore) async throws {
        let infos = try await maildir.listMailboxes(user: user)
        #expect(
            try await store.mailboxNames(user: user).sorted { $0.description < $1.description }
                == infos.map(\.name).sorted { $0.description < $1.description }
        )
        for info in infos {
            let old = try await maildir.mailbox(user: user, name: info.name)
            let new = try await store.mailbox(user: user, name: info.name)
            let state = try await store.state(of: new)
            #expect(new.uidValidity == (await old.uidValidity))
            #expect(state.uidNext == (await old.uidNext))
            #expect(state.highestModSeq >= (await old.highestModSeq))
            let records = await old.snapshot()
            let stored = try await store.messages(in: new)
            #expect(stored.map(\.uid) == records.map(\.uid))
            #expect(stored.map(\.flags) == records.map(\.flags))
            #expect(stored.map(\.keywords) == records.map(\.keywords))
            #expect(stored.map(\.size) == records.map(\.size))
            #expect(stored.map(\.internalDate) == records.map(\.internalDate))
            for record in records {
                #expect(
                    try await store.readMessage(uid: record.uid, in: new)
                        == (try await old.readMessage(uid: record.uid))
                )
            }
        }
    }

    /// Two users, ana with a hashed password and bo with a plain one (the original format).
    ///
    /// ana has INBOX with a gap in its UIDs, flags and keywords, a big message, a subscribed Lists and
    /// an unsubscribed Lists/swift, and a subscription to a mailbox that is gone; bo has one message.
    /// A COPY and a delivery to both make hard links.
    static func makeMaildirStore(in directory: TemporaryDirectory) async throws -> MailStore {
        let hash = try PasswordHash.make("ana's pass")
        try Data("\(ana):\(hash)\n\(bo):bo plain\n".utf8).write(
            to: directory.url.appendingPathComponent("passwords.txt")
        )
        let maildir = MailStore(root: directory.url)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let inbox = try await maildir.mailbox(user: ana, name: .inbox)
        _ = try await inbox.append(bytes: message(1), flags: [.seen], internalDate: date)
        let gone = try await inbox.append(bytes: message(2), internalDate: date + 60)
        _ = try await inbox.append(
            bytes: message(3),
            flags: [.answered, .flagged],
            keywords: ["$Forwarded", "Work"],
            internalDate: date + 120
        )
        try await inbox.setFlags(uids: [gone], flags: [.deleted], operation: .add)
        #expect(try await inbox.expunge() == [gone])
        try await maildir.createMailbox(user: ana, name: swift)
        try await maildir.subscribe(user: ana, name: lists)
        try await maildir.subscribe(user: ana, name: try MailboxName(["Gone"]))
        try await maildir.unsubscribe(user: ana, name: swift)
        let folder = try await maildir.mailbox(user: ana, name: swift)
        _ = try await folder.append(bytes: message(4), flags: [.draft], keywords: ["Later"], internalDate: date + 180)
        // Bigger than one chunk (256 KiB): stored as several rows, read back whole.
        _ = try await folder.append(bytes: message(5, bodyBytes: 600_000), internalDate: date + 240)
        _ = try await maildir.mailbox(user: bo, name: .inbox).append(bytes: message(6), internalDate: date + 300)
        // Hard links: a COPY and a delivery to both users; each file becomes one shared body.
        _ = try await inbox.copy(uids: [1], to: try await maildir.mailbox(user: ana, name: lists))
        _ = try await maildir.deliver(bytes: message(7), to: [ana, bo])
        for user in [ana, bo] { try await maildir.mailbox(user: user, name: .inbox).synchronize() }
        return maildir
    }

    static func message(_ seed: Int, bodyBytes: Int = 300) -> [UInt8] {
        var bytes = Array("From: cy@example.com\r\nSubject: message \(seed)\r\n\r\n".utf8)
        while bytes.count < bodyBytes { bytes += Array("line \(bytes.count) of message \(seed)\r\n".utf8) }
        return bytes
    }
}
