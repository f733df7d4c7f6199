import Foundation
import MailTestSupport
import Testing

@testable import MailStore

#if canImport(Glibc)
import Glibc
#endif

/// A message read off the mailbox's queue (`Mailbox.messageIfCached`) is the mailbox's current record
/// and file or nothing: never a record a change has replaced, never a wait on the disk.
@Suite(.offThePool) struct CachedReadTests {
    private let user = "cached@example.test"
    private let run = WholeMessageRun(count: 1, bytes: 1 << 20)

    @Test func aOneMessageReadOnTheQueueLetsTheNextOnesGoWithoutIt() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            var uids: [UInt32] = []
            for n in 1...5 { uids.append(try await inbox.append(bytes: sampleMessage(n, body: "body \(n)\r\n"))) }
            #expect(inbox.messageIfCached(uid: uids[0], withInternalDates: false) == nil, "nothing published yet")
            let first = try await inbox.messages(uids: [uids[0]], withInternalDates: false, readingWhole: run)
            for uid in uids {
                let cached = try #require(inbox.messageIfCached(uid: uid, withInternalDates: false))
                let onTheQueue = try await inbox.messages(uids: [uid], withInternalDates: false, readingWhole: run)
                #expect(cached.bytes == onTheQueue.contents[uid])
                #expect(cached.message == onTheQueue.records[0])
            }
            #expect(first.contents[uids[0]] == (try await inbox.readMessage(uid: uids[0])))
            #expect(inbox.messageIfCached(uid: 999, withInternalDates: false) == nil)
        }
    }

    @Test func aChangeWithdrawsTheRecordsUntilTheQueueReadsAgain() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            let other = try await inbox.append(bytes: sampleMessage(2))
            _ = try await inbox.messages(uids: [uid], withInternalDates: false, readingWhole: run)
            #expect(
                inbox.messageIfCached(uid: uid, withInternalDates: false)?.message.flags.contains(.flagged) == false
            )
            _ = try await inbox.setFlags(uids: [uid], flags: [.flagged], operation: .add)
            #expect(inbox.messageIfCached(uid: uid, withInternalDates: false) == nil, "the old record is gone")
            _ = try await inbox.messages(uids: [other], withInternalDates: false, readingWhole: run)
            let flagged = try #require(inbox.messageIfCached(uid: uid, withInternalDates: false))
            #expect(flagged.message.flags.contains(.flagged))
            _ = try await inbox.setFlags(uids: [uid], flags: [.deleted], operation: .add)
            #expect(try await inbox.expunge(uids: [uid]) == [uid])
            #expect(inbox.messageIfCached(uid: uid, withInternalDates: false) == nil)
            _ = try await inbox.messages(uids: [other], withInternalDates: false, readingWhole: run)
            #expect(inbox.messageIfCached(uid: uid, withInternalDates: false) == nil, "expunged")
            #expect(inbox.messageIfCached(uid: other, withInternalDates: false) != nil)
        }
    }

    @Test func aDateNotReadYetOrAFileNotCachedGoesToTheQueue() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1, body: String(repeating: "x", count: 9_000)))
            _ = try await inbox.messages(uids: [uid], withInternalDates: false, readingWhole: run)
            let record = try #require(await inbox.snapshot().first { $0.uid == uid })
            if record.internalDate == nil {
                #expect(inbox.messageIfCached(uid: uid, withInternalDates: true) == nil)
            }
            let path = directory.path + "/\(user)/cur/" + record.fileName
            let whole = try await inbox.readMessage(uid: uid)
            let answers = answersWhileEvicted(path) { inbox.messageIfCached(uid: uid, withInternalDates: false) }
            if let answers {
                #expect(answers.allSatisfy { $0 == nil || $0?.bytes == whole }, "nothing, or the whole message")
                if !answers.contains(where: { $0 == nil }) {
                    print("CachedReadTests: this device finished each read-ahead within the call; no nil seen")
                }
                _ = try await inbox.readMessage(uid: uid)
                #expect(inbox.messageIfCached(uid: uid, withInternalDates: false)?.bytes == whole, "read back in")
            } else {
                print("CachedReadTests: this file system keeps files in memory; the uncached case not checked")
            }
        }
    }

    @Test func readFileIfCachedReadsOnlyWhatIsInMemory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/file"
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(POSIX.readFileIfCached(path, mostBytes: 1 << 20) == bytes)
        #expect(POSIX.readFileIfCached(path, mostBytes: 1_000) == nil, "bigger than allowed")
        #expect(POSIX.readFileIfCached(directory.path + "/none", mostBytes: 1 << 20) == nil)
        let empty = directory.path + "/empty"
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(POSIX.readFileIfCached(empty, mostBytes: 1 << 20) == [])
        let link = directory.path + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(POSIX.readFileIfCached(link, mostBytes: 1 << 20) == nil, "a symbolic link is not followed")
        if let answers = answersWhileEvicted(path, { POSIX.readFileIfCached(path, mostBytes: 1 << 20) }) {
            #expect(answers.allSatisfy { $0 == nil || $0 == bytes }, "nothing, or the whole file")
        }
    }
}
