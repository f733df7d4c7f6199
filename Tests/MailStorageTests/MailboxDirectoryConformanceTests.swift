import MailStorage
import MailTestSupport
import Testing

/// `MailboxDirectory` (RFC 3501 6.3) as every backend must answer it.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct MailboxDirectoryConformanceTests {
    static let user = "ana@example.com"
    var user: String { Self.user }

    @Test(arguments: StorageBackend.allCases)
    func aNewUserHasInboxAndTheSpecialUseFoldersSubscribed(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            let expected: [MailboxInfo] = [
                MailboxInfo(name: .inbox, specialUse: nil, hasChildren: false, subscribed: true),
                MailboxInfo(name: try name("Archive"), specialUse: .archive, hasChildren: false, subscribed: true),
                MailboxInfo(name: try name("Drafts"), specialUse: .drafts, hasChildren: false, subscribed: true),
                MailboxInfo(name: try name("Junk"), specialUse: .junk, hasChildren: false, subscribed: true),
                MailboxInfo(name: try name("Sent"), specialUse: .sent, hasChildren: false, subscribed: true),
                MailboxInfo(name: try name("Trash"), specialUse: .trash, hasChildren: false, subscribed: true),
            ]
            #expect(try await store.listMailboxes(user: user) == expected)
            #expect(
                try await store.subscriptions(user: user).map(\.description)
                    == ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]
            )
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func createMakesTheMissingParentsAndRefusesWhatExists(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            try await store.createMailbox(user: user, name: try name("Projects", "2026", "Q1"))
            try await store.createMailbox(user: user, name: try name("Projects", "2026", "Q2"))
            let listed = try await store.listMailboxes(user: user)
            #expect(
                listed.map(\.name.description) == [
                    "INBOX", "Archive", "Drafts", "Junk", "Projects", "Projects/2026", "Projects/2026/Q1",
                    "Projects/2026/Q2", "Sent", "Trash",
                ]
            )
            let projects = listed.filter { $0.name.components.first == "Projects" }
            #expect(projects.map(\.hasChildren) == [true, true, false, false])
            // A new mailbox is not subscribed: the client says whether it wants it.
            #expect(projects.allSatisfy { !$0.subscribed && $0.specialUse == nil })

            for taken in [MailboxName.inbox, try name("inbox"), try name("Projects"), try name("Projects", "2026")] {
                await #expect(throws: MailStoreError.mailboxExists(taken.description)) {
                    try await store.createMailbox(user: user, name: taken)
                }
            }
            // INBOX may have children.
            try await store.createMailbox(user: user, name: try name("INBOX", "Receipts"))
            let inbox = try await store.listMailboxes(user: user).first
            #expect(inbox?.name == .inbox)
            #expect(inbox?.hasChildren == true)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func deleteRefusesInboxParentsAndUnknownNamesAndKeepsTheSubscription(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            try await store.createMailbox(user: user, name: try name("Lists", "dev"))
            try await store.subscribe(user: user, name: try name("Lists", "dev"))

            await #expect(throws: MailStoreError.cannotDeleteInbox) {
                try await store.deleteMailbox(user: user, name: .inbox)
            }
            await #expect(throws: MailStoreError.mailboxHasChildren("Lists")) {
                try await store.deleteMailbox(user: user, name: try name("Lists"))
            }
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                try await store.deleteMailbox(user: user, name: try name("Nope"))
            }

            try await store.deleteMailbox(user: user, name: try name("Lists", "dev"))
            let listed = try await store.listMailboxes(user: user)
            #expect(!listed.contains { $0.name == (try? name("Lists", "dev")) })
            #expect(listed.first { $0.name == (try? name("Lists")) }?.hasChildren == false)
            // RFC 3501 6.3.6: the server MUST NOT drop the name from the subscriptions on its own.
            #expect(try await store.subscriptions(user: user).contains(try name("Lists", "dev")))
            try await store.deleteMailbox(user: user, name: try name("Lists"))
            await #expect(throws: MailStoreError.mailboxNotFound("Lists")) {
                try await store.deleteMailbox(user: user, name: try name("Lists"))
            }
            // The special-use folders are ordinary mailboxes: a user may delete them.
            try await store.deleteMailbox(user: user, name: try name("Junk"))
            #expect(try await !store.listMailboxes(user: user).contains { $0.name == (try? name("Junk")) })
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func renameTakesTheChildrenAndTheirSubscriptionsAlong(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            try await store.createMailbox(user: user, name: try name("Work", "Old"))
            try await store.subscribe(user: user, name: try name("Work"))
            try await store.subscribe(user: user, name: try name("Work", "Old"))

            // The new parent "Past" is made on the way.
            try await store.renameMailbox(user: user, from: try name("Work"), to: try name("Past", "Work"))
            let names = try await store.listMailboxes(user: user).map(\.name.description)
            #expect(names.contains("Past") && names.contains("Past/Work") && names.contains("Past/Work/Old"))
            #expect(!names.contains("Work") && !names.contains("Work/Old"))
            let subscribed = try await store.subscriptions(user: user).map(\.description)
            #expect(subscribed.contains("Past/Work") && subscribed.contains("Past/Work/Old"))
            #expect(!subscribed.contains("Work") && !subscribed.contains("Work/Old"))

            await #expect(throws: MailStoreError.mailboxExists("Drafts")) {
                try await store.renameMailbox(user: user, from: try name("Sent"), to: try name("Drafts"))
            }
            await #expect(throws: MailStoreError.mailboxExists("INBOX")) {
                try await store.renameMailbox(user: user, from: try name("Sent"), to: .inbox)
            }
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                try await store.renameMailbox(user: user, from: try name("Nope"), to: try name("Yes"))
            }
            await #expect(
                throws: MailStoreError.invalidMailboxName("Past/Past", reason: "it lies inside the mailbox renamed")
            ) {
                try await store.renameMailbox(user: user, from: try name("Past"), to: try name("Past", "Past"))
            }

            // RFC 3501 6.3.5: renaming INBOX makes the new mailbox and leaves INBOX in place.
            try await store.renameMailbox(user: user, from: .inbox, to: try name("Old mail"))
            let after = try await store.listMailboxes(user: user).map(\.name.description)
            #expect(after.first == "INBOX")
            #expect(after.contains("Old mail"))
            #expect(try await store.subscriptions(user: user).contains(.inbox))
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func subscriptionsAreNamesWhetherOrNotTheMailboxExists(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            let later = try name("Later")
            try await store.subscribe(user: user, name: later)
            try await store.subscribe(user: user, name: later)
            #expect(try await store.subscriptions(user: user).filter { $0 == later }.count == 1)
            #expect(try await !store.listMailboxes(user: user).contains { $0.name == later })

            try await store.createMailbox(user: user, name: later)
            #expect(try await store.listMailboxes(user: user).first { $0.name == later }?.subscribed == true)
            try await store.unsubscribe(user: user, name: later)
            #expect(try await store.listMailboxes(user: user).first { $0.name == later }?.subscribed == false)
            #expect(try await !store.subscriptions(user: user).contains(later))
            // Unsubscribing a name that is not subscribed is no error.
            try await store.unsubscribe(user: user, name: try name("Never"))
        }
    }
}
