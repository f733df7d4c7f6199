import MailStore
import MailTestSupport
import PostgresStore
import Testing

/// LISTEN/NOTIFY: committed changes are heard by a listener on another connection (another node).
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct PostgresChangeNotificationTests {
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
