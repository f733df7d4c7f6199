import Foundation
import MailTestSupport
import Testing

@testable import MailStore

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7: what the store creates keeps other local users out, and symbolic links placed inside the
/// storage folder never lead the store into another user's mail or out of the storage.
@Suite(.offThePool) struct PathSafetyTests {
    /// Every folder and file under `path`, with its mode, not following links.
    private func modes(under path: String) throws -> [(String, mode_t, Bool)] {
        var found: [(String, mode_t, Bool)] = []
        let enumerator = try #require(FileManager.default.enumerator(atPath: path))
        for case let relative as String in enumerator {
            var info = stat()
            guard lstat(path + "/" + relative, &info) == 0 else { continue }
            found.append((relative, info.st_mode & 0o7777, (info.st_mode & S_IFMT) == S_IFDIR))
        }
        return found
    }

    @Test func everythingTheStoreCreatesIsPrivate() async throws {
        try await withStore { store, _ in
            try store.users.add("bob@example.org", password: "pw")
            try store.createUserMaildir("bob@example.org")
            _ = try await store.deliver(bytes: sampleMessage(1), to: ["bob@example.org"])
            try await store.createMailbox(user: "bob@example.org", name: MailboxName(["Projects", "2026"]))
            try await store.subscribe(user: "bob@example.org", name: MailboxName(["Projects"]))
            let inbox = try await store.mailbox(user: "bob@example.org", name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(2), flags: [.seen], keywords: ["$Label1"])
            _ = try await inbox.setFlags(uids: [1], flags: [.flagged], operation: .add)
            await inbox.writeCache()
            let all = try modes(under: store.root.path)
            #expect(all.count > 30)
            for (path, mode, isDirectory) in all {
                // Folders rwx for the owner only; files at most rw for the owner.
                #expect(isDirectory ? mode == 0o700 : mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))")
            }
            #expect(all.contains { $0.0 == "passwords.txt" && $0.1 == 0o600 })
        }
    }

    @Test func deliveryRefusesAUserFolderThatIsALink() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir("alice@example.org")
            try FileManager.default.createSymbolicLink(
                atPath: store.root.path + "/mallory@example.org",
                withDestinationPath: store.root.path + "/alice@example.org"
            )
            let results = try await store.deliver(bytes: sampleMessage(1), to: ["mallory@example.org"])
            #expect(results.map(\.isDelivered) == [false])
            #expect(try files(in: store.root.path + "/alice@example.org/new").isEmpty)
        }
    }

    @Test func deliveryRefusesANewFolderThatIsALink() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir("alice@example.org")
            let mallory = store.root.path + "/mallory@example.org"
            try FileManager.default.createDirectory(atPath: mallory + "/cur", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: mallory + "/tmp", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: mallory + "/new",
                withDestinationPath: store.root.path + "/alice@example.org/new"
            )
            let results = try await store.deliver(bytes: sampleMessage(1), to: ["mallory@example.org"])
            #expect(results.map(\.isDelivered) == [false])
            #expect(try files(in: store.root.path + "/alice@example.org/new").isEmpty)
        }
    }

    @Test func aMessageSwappedForALinkAfterTheScanIsNotRead() async throws {
        try await withStore { store, directory in
            _ = try await store.deliver(bytes: sampleMessage(1), to: ["bob@example.org"])
            let inbox = try await store.mailbox(user: "bob@example.org", name: .inbox)
            let url = try #require(await inbox.messageURL(uid: 1))
            let secret = directory.path + "/secret"
            try Data("OUTSIDE-SECRET".utf8).write(to: URL(fileURLWithPath: secret))
            try FileManager.default.removeItem(at: url)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: secret)
            await #expect(throws: MailStoreError.self) { try await inbox.readMessage(uid: 1) }
            await #expect(throws: MailStoreError.self) { try await inbox.readMessage(uid: 1, range: 0..<5) }
        }
    }

    @Test func linkedFoldersAreNeitherListedNorOpened() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir("alice@example.org")
            try store.createUserMaildir("bob@example.org")
            let bob = store.root.path + "/bob@example.org"
            try FileManager.default.createSymbolicLink(
                atPath: bob + "/.Stolen",
                withDestinationPath: store.root.path + "/alice@example.org"
            )
            let names = try await store.listMailboxes(user: "bob@example.org").map(\.name.description)
            #expect(!names.contains("Stolen"))
            await #expect(throws: MailStoreError.mailboxNotFound("Stolen")) {
                try await store.mailbox(user: "bob@example.org", name: MailboxName(["Stolen"]))
            }
            // CREATE under the same name does not write through the link either.
            await #expect(throws: MailStoreError.self) {
                try await store.createMailbox(user: "bob@example.org", name: MailboxName(["Stolen"]))
            }
            #expect(!FileManager.default.fileExists(atPath: store.root.path + "/alice@example.org/maildirfolder"))
        }
    }

    @Test func aStorageFolderReachedThroughALinkStillWorks() async throws {
        try await TemporaryDirectory.with(prefix: "linked-storage") { directory in
            let real = directory.url.appendingPathComponent("real")
            try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
            let link = directory.url.appendingPathComponent("link")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
            let store = MailStore(root: link)
            let results = try await store.deliver(bytes: sampleMessage(1), to: ["bob@example.org"])
            #expect(results.map(\.isDelivered) == [true])
            #expect(try files(in: real.path + "/bob@example.org/new").count == 1)
        }
    }
}
