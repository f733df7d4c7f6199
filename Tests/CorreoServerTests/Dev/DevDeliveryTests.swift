import CorreoServer
import Foundation
import MailStore
import MailTestSupport
import Testing

/// The catch-all: any address at any domain gets a mailbox, the message is on disk once (hard links),
/// the all-mail mailbox has it too, and the envelope is kept.
@Suite(.offThePool) struct DevDeliveryTests {
    @Test func everyAddressAtEveryDomainIsAMailbox() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        #expect(await fixture.delivery.mailbox(for: "Someone@Anywhere.Example") == "someone@anywhere.example")
        #expect(await fixture.delivery.mailbox(for: "x@never-configured.test") == "x@never-configured.test")
        // Names that could leave the storage folder are no mailbox, whatever the catch-all says.
        #expect(await fixture.delivery.mailbox(for: "../../etc@passwd") == nil)
        #expect(await fixture.delivery.mailbox(for: ".hidden@example.com") == nil)
    }

    @Test func oneMessageIsStoredOnceForEachRecipientAndAllMail() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(
            DevFixture.mail(to: "a@one.example", subject: "Once"),
            to: ["a@one.example", "b@two.example"]
        )
        let files = try ["a@one.example", "b@two.example", DevMode.allMailUser].map { user in
            let new = fixture.folder.url.appendingPathComponent("\(user)/new")
            let cur = fixture.folder.url.appendingPathComponent("\(user)/cur")
            let names =
                (try FileManager.default.contentsOfDirectory(atPath: new.path)).map { new.appendingPathComponent($0) }
                + (try FileManager.default.contentsOfDirectory(atPath: cur.path)).map { cur.appendingPathComponent($0) }
            return try #require(names.first, "no message for \(user)")
        }
        let inodes = Set(
            try files.map { try FileManager.default.attributesOfItem(atPath: $0.path)[.systemFileNumber] as? NSNumber }
        )
        #expect(inodes.count == 1, "one inode, three names: \(files)")
        let listed = try await fixture.messages.list()
        #expect(listed.map(\.subject) == ["Once"])
        #expect(
            listed.first?.envelope
                == DevEnvelope(
                    sender: "app@app.example",
                    recipients: ["a@one.example", "b@two.example"],
                    client: "127.0.0.1"
                )
        )
        // Nothing in the outbound queue: the dev server relays nothing.
        #expect(try fixture.store.queue.list().isEmpty)
    }

    @Test func deletingRemovesTheMessageFromEveryMailbox() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(DevFixture.mail(to: "a@one.example", subject: "Doomed"), to: ["a@one.example"])
        try await fixture.deliver(DevFixture.mail(to: "a@one.example", subject: "Kept"), to: ["a@one.example"])
        let doomed = try #require(try await fixture.messages.list(DevMessageFilter(subject: "doomed")).first)
        #expect(try await fixture.messages.delete(doomed.id))
        #expect(try await fixture.messages.delete(doomed.id) == false)
        #expect(try await fixture.messages.list().map(\.subject) == ["Kept"])
        let inbox = try await fixture.store.mailbox(user: "a@one.example", name: .inbox)
        try await inbox.synchronize()
        #expect(await inbox.snapshot().count == 1)
        #expect(try await fixture.messages.deleteAll() == 1)
        try await inbox.synchronize()
        #expect(await inbox.snapshot().isEmpty)
    }

    @Test func loginsTakeAnyPasswordOrOnlyTheGivenOne() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        let open = DevLogins(password: nil, store: fixture.store)
        #expect(await open.verify(username: "bob@example.com", password: "anything"))
        #expect(await open.verify(username: "all", password: ""))
        #expect(await open.verify(username: "../x@y", password: "p") == false)
        #expect(open.owner(of: "ALL") == DevMode.allMailUser)
        #expect(open.owner(of: "*") == DevMode.allMailUser)
        #expect(open.owner(of: "Bob@Example.com") == "bob@example.com")
        let closed = DevLogins(password: "s3cret", store: fixture.store)
        #expect(await closed.verify(username: "bob@example.com", password: "s3cret"))
        #expect(await closed.verify(username: "bob@example.com", password: "wrong") == false)
        #expect(await closed.authenticate(username: "app", password: "wrong") == false)
        #expect(await open.authenticate(username: "app", password: "wrong"))
    }
}
