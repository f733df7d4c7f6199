import Foundation
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct FolderTests {
    private let user = "folders@example.test"

    @Test func newUserHasInboxAndSpecialUseFolders() async throws {
        try await withStore { store, _ in
            let list = try await store.listMailboxes(user: user)
            #expect(list.map(\.name.description) == ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"])
            #expect(list.first { $0.name.description == "Sent" }?.specialUse == .sent)
            #expect(list.allSatisfy { $0.subscribed })
            #expect(list.allSatisfy { !$0.hasChildren })
        }
    }

    @Test func createMakesParentsAndListShowsChildren() async throws {
        try await withStore { store, directory in
            try await store.createMailbox(user: user, name: MailboxName(["Projects", "2026"]))
            let list = try await store.listMailboxes(user: user)
            let projects = try #require(list.first { $0.name.description == "Projects" })
            #expect(projects.hasChildren && !projects.subscribed)
            #expect(list.contains { $0.name.components == ["Projects", "2026"] })
            #expect(FileManager.default.fileExists(atPath: directory.path + "/\(user)/.Projects.2026/maildirfolder"))
            await #expect(throws: MailStoreError.mailboxExists("Projects")) {
                try await store.createMailbox(user: user, name: MailboxName(["Projects"]))
            }
            await #expect(throws: MailStoreError.mailboxExists("INBOX")) {
                try await store.createMailbox(user: user, name: .inbox)
            }
        }
    }

    @Test func deleteRefusesInboxAndParentsThenRemoves() async throws {
        try await withStore { store, _ in
            let child = try MailboxName(["A", "B"])
            try await store.createMailbox(user: user, name: child)
            await #expect(throws: MailStoreError.cannotDeleteInbox) {
                try await store.deleteMailbox(user: user, name: .inbox)
            }
            await #expect(throws: MailStoreError.mailboxHasChildren("A")) {
                try await store.deleteMailbox(user: user, name: MailboxName(["A"]))
            }
            let open = try await store.mailbox(user: user, name: child)
            try await store.deleteMailbox(user: user, name: child)
            try await store.deleteMailbox(user: user, name: MailboxName(["A"]))
            #expect(try await store.listMailboxes(user: user).allSatisfy { $0.name.components.first != "A" })
            await #expect(throws: MailStoreError.mailboxNotFound("A/B")) { _ = try await open.synchronize() }
            await #expect(throws: MailStoreError.mailboxNotFound("A")) {
                try await store.deleteMailbox(user: user, name: MailboxName(["A"]))
            }
        }
    }

    @Test func recreatedFolderGetsANewUIDValidity() async throws {
        try await withStore { store, _ in
            let name = try MailboxName(["Again"])
            try await store.createMailbox(user: user, name: name)
            let first = try await store.mailbox(user: user, name: name).uidValidity
            try await store.deleteMailbox(user: user, name: name)
            try await store.createMailbox(user: user, name: name)
            let second = try await store.mailbox(user: user, name: name).uidValidity
            #expect(second > first)
        }
    }

    @Test func renameMovesChildrenAndKeepsUIDs() async throws {
        try await withStore { store, _ in
            try await store.createMailbox(user: user, name: MailboxName(["Old", "Child"]))
            let old = try await store.mailbox(user: user, name: MailboxName(["Old"]))
            let uid = try await old.append(bytes: sampleMessage(1))
            let validity = await old.uidValidity
            try await store.renameMailbox(user: user, from: MailboxName(["Old"]), to: MailboxName(["New", "Name"]))
            let names = try await store.listMailboxes(user: user).map(\.name.description)
            #expect(names.contains("New/Name") && names.contains("New/Name/Child") && names.contains("New"))
            #expect(!names.contains("Old") && !names.contains("Old/Child"))
            let renamed = try await store.mailbox(user: user, name: MailboxName(["New", "Name"]))
            #expect(await renamed.uidValidity == validity)
            #expect(try await renamed.readMessage(uid: uid) == sampleMessage(1))
            await #expect(throws: MailStoreError.mailboxExists("Sent")) {
                try await store.renameMailbox(user: user, from: MailboxName(["New"]), to: MailboxName(["Sent"]))
            }
        }
    }

    @Test func renamingInboxMovesMessagesAndLeavesItEmpty() async throws {
        try await withStore { store, _ in
            _ = try await store.deliver(bytes: sampleMessage(1), to: [user])
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(2), flags: .seen)
            _ = try await store.deliver(bytes: sampleMessage(3), to: [user])  // still in new/
            let target = try MailboxName(["Old Mail"])
            try await store.renameMailbox(user: user, from: .inbox, to: target)
            let moved = try await store.mailbox(user: user, name: target)
            let records = await moved.snapshot()
            #expect(records.count == 3)
            #expect(records.filter { $0.flags == .seen }.count == 1)
            let emptied = try await store.mailbox(user: user, name: .inbox)
            #expect(await emptied.snapshot().isEmpty)
            // UIDs given in INBOX before the rename are not given again (3 may or may not have had one).
            #expect(await emptied.uidNext >= 3)
            #expect(try await emptied.append(bytes: sampleMessage(4)) >= 3)
        }
    }

    @Test func subscriptionsPersist() async throws {
        try await withStore { store, directory in
            let name = try MailboxName(["Lists", "swift"])
            try await store.subscribe(user: user, name: name)
            try await store.unsubscribe(user: user, name: MailboxName(["Junk"]))
            let other = MailStore(root: directory.url)
            let subscribed = try await other.subscriptions(user: user)
            #expect(subscribed.contains(name))
            #expect(!subscribed.contains(try MailboxName(["Junk"])))
            #expect(subscribed.contains(.inbox))
        }
    }

    @Test func userExistsForMaildirsAndPasswordLines() async throws {
        try await withStore { store, _ in
            #expect(await store.userExists("nobody@example.test") == false)
            try store.createUserMaildir("Someone@Example.test")
            #expect(await store.userExists("someone@example.test"))
            try store.users.add("listed@example.test", password: "pw", scheme: .plain)
            #expect(await store.userExists("LISTED@example.test"))
            #expect(await store.userExists("../x@y") == false)
        }
    }
}

@Suite(.offThePool) struct MailboxNameTests {
    @Test(arguments: [
        [".."], ["a", ".."], ["a/b"], [""], ["a", ""], ["with\u{0}nul"], ["tab\there"], ["del\u{7F}"], [], ["dot.ted"],
    ])
    func invalidNamesAreRefused(_ components: [String]) {
        #expect(throws: MailStoreError.self) { try MailboxName(components) }
    }

    @Test func lengthLimitsAreEnforcedAtTheBoundary() throws {
        let longest = String(repeating: "x", count: MailStoreDefaults.maximumMailboxComponentBytes)
        #expect(try MailboxName([longest]).components == [longest])
        #expect(throws: MailStoreError.self) { try MailboxName([longest + "x"]) }
        let deepest = Array(repeating: "d", count: MailStoreDefaults.maximumMailboxDepth)
        #expect(try MailboxName(deepest).components.count == MailStoreDefaults.maximumMailboxDepth)
        #expect(throws: MailStoreError.self) { try MailboxName(deepest + ["d"]) }
    }

    @Test func inboxIsCaseInsensitiveAndUTF8IsKept() throws {
        #expect(try MailboxName(["iNbOx"]).isInbox)
        #expect(try MailboxName(path: "Entwürfe/Größe").components == ["Entwürfe", "Größe"])
        #expect(try MailboxName(["A", "B"]).maildirFolder == ".A.B")
    }
}
