import Foundation
import MailTestSupport
import Testing

@testable import MailStore

#if canImport(Glibc)
import Glibc
#endif

/// A mailbox whose bodies are read one at a time in a stride has the next ones read into the page cache
/// ahead of the client (`Mailbox+ReadAhead.swift`), and answers exactly as without it.
@Suite(.offThePool) struct ReadAheadTests {
    private let user = "ahead@example.test"

    @Test func bodiesReadInAStrideHaveTheNextOnesReadAhead() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            var uids: [UInt32] = []
            for n in 1...60 {
                let body = String(repeating: "line \(n) of a body long enough for a few pages\r\n", count: 200)
                uids.append(try await inbox.append(bytes: sampleMessage(n, body: body)))
            }
            let records = await inbox.snapshot()
            let cur = directory.path + "/\(user)/cur/"
            let paths = records.map { cur + $0.fileName }
            // A file the stride will reach, removed behind the store's back: its hint finds nothing.
            try FileManager.default.removeItem(atPath: paths[21])
            let evicted = paths.indices.filter { $0 != 21 }.allSatisfy { evictFromPageCache(paths[$0]) }

            let filesBefore = ReadAhead.hinted
            for position in [0, 3, 6, 9] {
                let read = await inbox.readMessages(uids: [uids[position]])
                #expect(read == [try await inbox.readMessage(uid: uids[position])])
            }
            // The third read (position 6) hinted 9, 12, …, 54; the fourth found the window full.
            let hinted = Array(stride(from: 9, through: 6 + 3 * ReadAheadPattern.window, by: 3))
            #expect(await inbox.readAheadHinted == hinted.count)
            let opened = hinted.count - 1  // all but the removed file
            let deadline = ContinuousClock.now + .seconds(10)
            while ReadAhead.hinted - filesBefore < opened, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(ReadAhead.hinted - filesBefore >= opened)
            if evicted {
                let readAhead = hinted.filter { $0 != 21 }
                #expect(readAhead.allSatisfy { isInPageCache(paths[$0]) }, "hinted files are in the page cache")
                #expect(!isInPageCache(paths[59]), "a file off the stride was not read")
            } else {
                print("ReadAheadTests: this file system keeps files in memory; page-cache residency not checked")
            }
            #expect(await inbox.readMessages(uids: [uids[21]]) == [nil])
        }
    }

    @Test func aReadOfSeveralMessagesForgetsTheStride() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            var uids: [UInt32] = []
            for n in 1...20 { uids.append(try await inbox.append(bytes: sampleMessage(n))) }
            for position in [0, 1] { _ = await inbox.readMessages(uids: [uids[position]]) }
            _ = await inbox.readMessages(uids: [uids[5], uids[6]])
            _ = await inbox.readMessages(uids: [uids[2]])
            #expect(await inbox.readAheadHinted == 0, "0, 1, then 2 after a read of two: no stride of three")
            _ = try await inbox.readMessage(uid: uids[3], range: 0..<10)
            _ = try await inbox.readMessage(uid: uids[4], range: 0..<10)
            #expect(await inbox.readAheadHinted > 0, "partial reads follow the stride too")
        }
    }
}
