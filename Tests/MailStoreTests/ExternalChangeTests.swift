import Foundation
import Logging
import MailTestSupport
import Testing

@testable import MailStore

/// Changes other programs (mutt, procmail, a second correo) make on disk are noticed.
@Suite(.offThePool) struct ExternalChangeTests {
    private let user = "ext@example.test"

    @Test func renameDropAndDeleteByAnotherProgram() async throws {
        try await withStore { store, directory in
            let userPath = directory.path + "/" + user
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            _ = try await inbox.append(bytes: sampleMessage(2))
            let records = await inbox.snapshot()
            // The settle the open scheduled would take in the changes below if it ran before the
            // look that must report them (a loaded machine can delay this test past its time).
            #expect(try await FirstTouchTests.noSettlePending(inbox))

            // mutt marks message 1 seen and flagged by renaming it.
            let old = records[0].fileName
            let base = String(old[..<old.range(of: ":2,")!.lowerBound])
            try FileManager.default.moveItem(
                atPath: userPath + "/cur/" + old,
                toPath: userPath + "/cur/" + base + ":2,FS"
            )
            // procmail drops a file with bare LF line ends into new/.
            let lfMessage = Array("Subject: lf\n\nbody\n".utf8)
            let droppedPath = userPath + "/new/1700000000.12345_1.otherhost"
            try Data(lfMessage).write(to: URL(fileURLWithPath: droppedPath))
            let delivered = Date(timeIntervalSince1970: 1_700_000_000)
            try FileManager.default.setAttributes([.modificationDate: delivered], ofItemAtPath: droppedPath)
            // Someone deletes message 2.
            try FileManager.default.removeItem(atPath: userPath + "/cur/" + records[1].fileName)

            let changes = try await inbox.synchronize()
            #expect(changes.flagsChanged.map(\.uid) == [1])
            #expect(changes.flagsChanged.first?.flags == [.seen, .flagged])
            #expect(changes.expunged == [2])
            #expect(changes.appended.map(\.uid) == [3])
            let dropped = try #require(changes.appended.first)
            #expect(dropped.physicalSize == lfMessage.count)
            #expect(dropped.size == lfMessage.count + 3)
            #expect(dropped.internalDate == delivered)
            let crlf = Array("Subject: lf\r\n\r\nbody\r\n".utf8)
            #expect(try await inbox.readMessage(uid: 3) == crlf)
            #expect(try await inbox.readMessage(uid: 3, range: 9..<17) == Array(crlf[9..<17]))
            #expect(try await inbox.headerLength(uid: 3) == 15)
        }
    }

    @Test func anotherProcessSeesChangesThroughPolling() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let stream = await inbox.changes()
            // A second process (here: a second store) delivers.
            let other = MailStore(root: directory.url, logger: Logger(label: "other"))
            _ = try await other.deliver(bytes: sampleMessage(1), to: [user])
            var iterator = stream.makeAsyncIterator()
            let changes = try #require(await iterator.next())
            #expect(changes.appended.map(\.uid) == [1])
        }
    }

    @Test func twoProcessesAssigningAtOnceNeverShareAUID() async throws {
        try await withStore { store, directory in
            let other = MailStore(root: directory.url, logger: Logger(label: "other"))
            let mine = try await store.mailbox(user: user, name: .inbox)
            let theirs = try await other.mailbox(user: user, name: .inbox)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, box) in [mine, theirs].enumerated() {
                    group.addTask {
                        for n in 0..<50 { _ = try await box.append(bytes: sampleMessage(index * 100 + n)) }
                    }
                }
                try await group.waitForAll()
            }
            try await mine.synchronize()
            try await theirs.synchronize()
            let a = await mine.snapshot()
            let b = await theirs.snapshot()
            #expect(a.count == 100 && Set(a.map(\.uid)).count == 100)
            #expect(a.map(\.uid) == b.map(\.uid))
            #expect(a.map(\.fileName) == b.map(\.fileName))
        }
    }
}

@Suite(.offThePool) struct QuietFolderTests {
    @Test func changeAfterAQuietSpellIsStillSeen() async throws {
        try await withStore { store, directory in
            let user = "quiet@example.test"
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            // Let the folder times age past the trust limit, so a scan may be skipped when unchanged.
            try await Task.sleep(for: .milliseconds(300))
            // The settle the open scheduled is over, so the rename below is left for the look.
            #expect(try await FirstTouchTests.noSettlePending(inbox))
            #expect(try await inbox.synchronize().isEmpty)
            #expect(try await inbox.synchronize().isEmpty)
            let file = try #require(await inbox.snapshot().first?.fileName)
            let cur = directory.path + "/\(user)/cur/"
            try FileManager.default.moveItem(atPath: cur + file, toPath: cur + file + "S")
            #expect(try await inbox.synchronize().flagsChanged.map(\.flags) == [.seen])
        }
    }
}
