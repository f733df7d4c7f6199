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

            for position in [0, 3, 6, 9] {
                let read = await inbox.readMessages(uids: [uids[position]])
                #expect(read == [try await inbox.readMessage(uid: uids[position])])
            }
            // The third read (position 6) hinted the 16 files at 9, 12, …, 54; the fourth found the
            // window full. Positions count in the folder as the mailbox saw it then: with the removed
            // file already noticed, those from 21 on are one further in `paths`.
            #expect(await inbox.readAheadHinted == ReadAheadPattern.window)
            let positions = Array(stride(from: 9, through: 6 + 3 * ReadAheadPattern.window, by: 3))
            let unnoticed = positions.map { paths[$0] }
            let noticed = positions.map { paths[$0 < 21 ? $0 : $0 + 1] }
            // Hints past `ReadAhead.mostPending`, counted over the whole process, are dropped: other tests
            // reading ahead on a busy disk may have filled it. The queued ones are the nearest.
            let queued = inbox.readAheadLastQueued
            #expect(queued == Array(unnoticed.prefix(queued.count)) || queued == Array(noticed.prefix(queued.count)))
            let readAhead = queued.filter { $0 != paths[21] }
            let deadline = ContinuousClock.now + .seconds(20)
            func done() -> Bool {
                inbox.readAheadOpened >= readAhead.count
                    && (!evicted || readAhead.allSatisfy { isInPageCache($0) })
            }
            // WILLNEED only queues the reads: on a disk busy with other tests' syncs they land later.
            while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(inbox.readAheadOpened == readAhead.count, "every queued file but the removed one")
            if queued.count < positions.count {
                let dropped = positions.count - queued.count
                print("ReadAheadTests: \(dropped) of \(positions.count) hints dropped (others pending)")
            }
            if evicted {
                #expect(readAhead.allSatisfy { isInPageCache($0) }, "hinted files are in the page cache")
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
