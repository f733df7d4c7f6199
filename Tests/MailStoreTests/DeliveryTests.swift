import Foundation
import Logging
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct DeliveryTests {
    @Test func concurrentDeliveriesGetUniqueStableUIDs() async throws {
        try await withStore { store, directory in
            let users = ["one@example.test", "two@example.test"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<4 {
                    group.addTask {
                        for n in 0..<250 {
                            let results = try await store.deliver(bytes: sampleMessage(task * 1000 + n), to: users)
                            #expect(results.allSatisfy { $0.isDelivered })
                        }
                    }
                }
                try await group.waitForAll()
            }
            for user in users {
                let newPath = directory.path + "/" + user + "/new"
                #expect(try files(in: newPath).count == 1000)
            }
            let inbox = try await store.mailbox(user: users[0], name: .inbox)
            let first = await inbox.snapshot().map(\.uid)
            #expect(first.count == 1000)
            #expect(first == first.sorted() && Set(first).count == 1000)
            #expect(try files(in: directory.path + "/" + users[0] + "/new").isEmpty)

            // Another process: a second store on the same folder sees the same UIDs.
            let other = MailStore(root: directory.url, logger: Logger(label: "other"))
            let otherInbox = try await other.mailbox(user: users[0], name: .inbox)
            #expect(await otherInbox.snapshot().map(\.uid) == first)
            let byName = Dictionary(uniqueKeysWithValues: await inbox.snapshot().map { ($0.fileName, $0.uid) })
            await inbox.writeCache()

            // Delete the derived cache: the UIDs stay.
            try FileManager.default.removeItem(atPath: directory.path + "/" + users[0] + "/" + MetadataCache.fileName)
            let third = MailStore(root: directory.url, logger: Logger(label: "third"))
            let rebuilt = try await third.mailbox(user: users[0], name: .inbox).snapshot()
            #expect(rebuilt.map { byName[$0.fileName] } == rebuilt.map(\.uid))
            #expect(rebuilt.map(\.uid) == first)
        }
    }

    @Test func deliveredMessageReadsBackUnchanged() async throws {
        try await withStore { store, _ in
            let bytes = sampleMessage(7)
            let message = try store.beginDelivery()
            try message.write(bytes.prefix(10))
            try message.write(bytes.dropFirst(10))
            let results = try await store.deliver(message, to: ["Reader@Example.test"])
            #expect(results.map(\.isDelivered) == [true])
            let inbox = try await store.mailbox(user: "reader@example.test", name: .inbox)
            let record = try #require(await inbox.snapshot().first)
            #expect(record.size == bytes.count)
            #expect(record.fileName.contains(",S=\(bytes.count),W=\(bytes.count)"))
            #expect(try await inbox.readMessage(uid: record.uid) == bytes)
            #expect(try await inbox.readMessage(uid: record.uid, range: 6..<14) == Array(bytes[6..<14]))
            #expect(try await inbox.headerLength(uid: record.uid) == bytes.count - "Hello 7\r\n".utf8.count)
        }
    }

    @Test func contentsReadBackWhatWasWrittenUpToALimit() async throws {
        try await withStore { store, _ in
            let small = try store.beginDelivery()
            #expect(try small.contents(upTo: 0) == [])
            try small.write(Array("Subject: small\r\n".utf8))
            #expect(try small.contents(upTo: 100) == Array("Subject: small\r\n".utf8))
            #expect(try small.contents(upTo: 5) == nil)
            small.abandon()
            #expect(throws: MailStoreError.deliveryFinished) { try small.contents(upTo: 100) }
            // Past the write buffer: the first part comes from the temporary file, the rest from memory.
            let large = try store.beginDelivery()
            let bytes = (0..<(MailStoreDefaults.deliveryWriteBufferBytes * 2 + 17)).map {
                UInt8(truncatingIfNeeded: $0 % 251)
            }
            try large.write(bytes.prefix(MailStoreDefaults.deliveryWriteBufferBytes + 3))
            try large.write(bytes.dropFirst(MailStoreDefaults.deliveryWriteBufferBytes + 3))
            #expect(try large.contents(upTo: bytes.count) == bytes)
            large.abandon()
        }
    }

    @Test func abandonedOrDroppedMessageLeavesNothingInMaildir() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir("user@example.test")
            do {
                let message = try store.beginDelivery()
                try message.write(Array("Subject: half\r\n".utf8))
                // Dropped without delivery, as when a connection dies mid-DATA.
            }
            let abandoned = try store.beginDelivery()
            try abandoned.write(Array("Subject: other\r\n".utf8))
            abandoned.abandon()
            #expect(throws: MailStoreError.deliveryFinished) { try abandoned.write([0x41]) }
            let userPath = directory.path + "/user@example.test"
            #expect(try files(in: userPath + "/new").isEmpty)
            #expect(try files(in: userPath + "/cur").isEmpty)
            #expect(try files(in: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func badRecipientFailsAloneAndDuplicatesDeliverOnce() async throws {
        try await withStore { store, directory in
            let results = try await store.deliver(
                bytes: sampleMessage(1),
                to: ["../evil@x", "ok@example.test", "OK@example.test", "no-at-sign"]
            )
            #expect(results.map(\.isDelivered) == [false, true, true, false])
            #expect(results[0].outcome == .failed(.invalidAddress("../evil@x")))
            #expect(try files(in: directory.path + "/ok@example.test/new").count == 1)
            #expect(!FileManager.default.fileExists(atPath: directory.url.deletingLastPathComponent().path + "/evil@x"))
        }
    }

    /// The file is linked into every user's new/ but the last one met, and renamed into that one: one
    /// inode with a name per user, the same bytes everywhere, and nothing left in tmp/, whatever the
    /// order and repetitions of the recipients.
    @Test(arguments: [
        ["a@example.test", "b@example.test", "A@example.test", "c@example.test", "b@example.test"],
        ["c@example.test", "c@example.test", "bad", "a@example.test", "b@example.test"],
        ["b@example.test", "a@example.test", "c@example.test", "../evil@x"],
    ])
    func everyUserGetsTheOneFileAndTmpIsLeftEmpty(recipients: [String]) async throws {
        try await withStore { store, directory in
            let bytes = sampleMessage(3)
            let results = try await store.deliver(bytes: bytes, to: recipients)
            #expect(results.map(\.isDelivered) == recipients.map { $0.hasSuffix("@example.test") })
            for user in ["a@example.test", "b@example.test", "c@example.test"] {
                let new = directory.path + "/" + user + "/new"
                let names = try files(in: new)
                #expect(names.count == 1)
                let path = new + "/" + (names.first ?? "")
                #expect(FileManager.default.contents(atPath: path) == Data(bytes))
                var status = stat()
                #expect(stat(path, &status) == 0 && status.st_nlink == 3)
            }
            #expect(try files(in: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func deliveryNotifiesListenersAtOnce() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: "idle@example.test", name: .inbox)
            let stream = await inbox.changes()
            _ = try await store.deliver(bytes: sampleMessage(1), to: ["idle@example.test"])
            var iterator = stream.makeAsyncIterator()
            let changes = try #require(await iterator.next())
            #expect(changes.appended.map(\.uid) == [1])
            #expect(changes.appended.first?.isRecent == true)
            #expect(await inbox.claimRecent() == [1])
            #expect(await inbox.claimRecent().isEmpty)
        }
    }

    @Test func foldersAndFilesKeepOtherUsersOut() async throws {
        try await withStore { store, directory in
            _ = try await store.deliver(bytes: sampleMessage(1), to: ["private@example.test"])
            let userPath = directory.path + "/private@example.test"
            let fileName = try #require(try files(in: userPath + "/new").first)
            let fileMode = try FileManager.default.attributesOfItem(atPath: userPath + "/new/" + fileName)[
                .posixPermissions
            ]
            let folderMode = try FileManager.default.attributesOfItem(atPath: userPath + "/new")[.posixPermissions]
            #expect((fileMode as? Int) == 0o600)
            #expect((folderMode as? Int) == 0o700)
        }
    }
}
