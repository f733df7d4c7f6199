import Foundation
import MailStorage
import MailTestSupport
import Testing

@testable import MailStore

/// RCPT from memory (`MailStore.rememberedRecipient`): only what the last full lookup read, only for its
/// age, and only to accept; anything unsure sends the server to the disk.
@Suite struct RecipientMemoryTests {
    /// The age these tests allow: a full test run on two cores can hold a task back for seconds, more
    /// than the server's one second; the age itself is checked with a short one.
    static let age: Duration = .seconds(600)

    /// The lookups the SMTP server makes for `address` when it asks the disk.
    private func lookUp(_ store: MailStore, _ address: String) async {
        _ = await store.newsgroup(address: address)
        _ = await store.userExists(address)
    }

    /// passwords.txt listing only `address` (written anew: a new file, as `correo user` leaves it).
    private func listUsers(_ address: String, in directory: TemporaryDirectory) throws {
        try "\(address):secret\n".write(
            to: directory.url.appendingPathComponent("passwords.txt"),
            atomically: true,
            encoding: .utf8
        )
    }

    @Test func aListedUserIsRememberedAfterALookupForItsAgeOnly() async throws {
        try await withStore { store, directory in
            try listUsers("bob@example.test", in: directory)
            // Nothing read yet: unsure.
            #expect(!store.rememberedRecipient("bob@example.test", acceptingUnknown: false, within: Self.age))
            await lookUp(store, "bob@example.test")
            #expect(store.rememberedRecipient("Bob@Example.test", acceptingUnknown: false, within: Self.age))
            // Never a refusal: a user not listed is "ask the disk", as is any address after the age.
            #expect(!store.rememberedRecipient("carol@example.test", acceptingUnknown: false, within: Self.age))
            try await Task.sleep(for: .milliseconds(30))
            #expect(!store.rememberedRecipient("bob@example.test", acceptingUnknown: false, within: .milliseconds(10)))
            // Removed from passwords.txt: the next full lookup forgets it.
            try listUsers("carol@example.test", in: directory)
            await lookUp(store, "bob@example.test")
            #expect(!store.rememberedRecipient("bob@example.test", acceptingUnknown: false, within: Self.age))
            #expect(store.rememberedRecipient("carol@example.test", acceptingUnknown: false, within: Self.age))
        }
    }

    @Test func aNewsgroupsAddressIsNeverAUserFromMemory() async throws {
        try await withStore { store, directory in
            try listUsers("list@example.test", in: directory)
            await lookUp(store, "list@example.test")
            #expect(store.rememberedRecipient("list@example.test", acceptingUnknown: false, within: Self.age))
            // A group made here takes the address: the memory of the groups is dropped at once.
            try await store.addNewsgroup(Newsgroup(name: "local.list", address: "List@example.test"))
            #expect(!store.rememberedRecipient("list@example.test", acceptingUnknown: false, within: Self.age))
            await lookUp(store, "list@example.test")
            #expect(!store.rememberedRecipient("list@example.test", acceptingUnknown: false, within: Self.age))
            #expect(!store.rememberedRecipient("list@example.test", acceptingUnknown: true, within: Self.age))
        }
    }

    @Test func acceptingUnknownRemembersEveryAddressThatCanNameAMaildir() async throws {
        try await withStore { store, _ in
            #expect(!store.rememberedRecipient("anyone@example.test", acceptingUnknown: true, within: Self.age))
            _ = await store.newsgroup(address: "anyone@example.test")
            #expect(store.rememberedRecipient("anyone@example.test", acceptingUnknown: true, within: Self.age))
            #expect(!store.rememberedRecipient(".hidden@example.test", acceptingUnknown: true, within: Self.age))
            #expect(!store.rememberedRecipient("anyone@example.test", acceptingUnknown: false, within: Self.age))
        }
    }
}
