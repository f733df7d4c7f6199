import Foundation
import MailStorage
import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// LISTEN/NOTIFY: committed changes are heard by a listener on another connection (another node).
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresChangeNotificationTests {
    /// Two nodes (two stores, each with its own pool and its one LISTEN) on one database: a delivery on
    /// node B reaches a mailbox watched on node A, which then reads it; a change of another mailbox is
    /// not passed on to that watcher.
    @Test func aDeliveryOnOneNodeIsSignalledOnAnother() async throws {
        try await PostgresServer.with { server throws in
            let url = try PostgresStoreURL(server.url)
            try await PostgresMailStore.withStore(url: url) { nodeA throws in
                try await nodeA.migrate()
                try await nodeA.createUser(PostgresStoreFixture.user)
                try await PostgresMailStore.withStore(url: url) { nodeB throws in
                    let watched = try await nodeA.openMailbox(user: PostgresStoreFixture.user, name: .inbox)
                    let signals = await watched.changeSignals()
                    // What the watcher sees when first signalled: a signal for Sent (wrongly passed on)
                    // would come before the INBOX message exists.
                    let heard = Task { () -> [UInt32]? in
                        for await _ in signals { return try? await watched.messages(changedSince: 0).map(\.uid) }
                        return nil
                    }
                    let sent = try await nodeB.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Sent"]))
                    _ = try await nodeB.append(PostgresStoreFixture.message(seed: 1), to: sent)
                    let inbox = try await nodeB.mailbox(user: PostgresStoreFixture.user, name: .inbox)
                    let uid = try await nodeB.append(PostgresStoreFixture.message(seed: 2), to: inbox)
                    #expect(await heard.value == [uid])
                }
            }
        }
    }

    @Test func appendsAndFlagChangesAreHeardAndNoChangeIsNot() async throws {
        try await PostgresStoreFixture.with { store, inbox throws in
            let sent = try await store.mailbox(user: PostgresStoreFixture.user, name: try MailboxName(["Sent"]))
            try await store.withMailboxChanges { changes throws in
                var heard = changes.makeAsyncIterator()
                let uid = try await store.append(PostgresStoreFixture.message(seed: 1), to: inbox)
                #expect(try await heard.next() == inbox.id)
                try await store.setFlags(uids: [uid], in: inbox, flags: .seen, operation: .add)
                #expect(try await heard.next() == inbox.id)
                // A STORE that changes nothing commits no notification: the next one heard is Sent's.
                try await store.setFlags(uids: [uid], in: inbox, flags: .seen, operation: .add)
                _ = try await store.append(PostgresStoreFixture.message(seed: 2), to: sent)
                #expect(try await heard.next() == sent.id)
            }
        }
    }
}
