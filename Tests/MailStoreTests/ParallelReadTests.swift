import Foundation
import MailTestSupport
import Synchronization
import Testing

@testable import MailStore

/// `ParallelRead` hands out runs of files to several threads; what comes back must be what one
/// thread reading them in order gives.
@Suite(.offThePool) struct ParallelReadTests {
    private let user = "parallel@example.test"

    @Test(arguments: [0, 1, 3, 4, 7, 8, 9, 63, 64, 65, 100, 1_000])
    func resultsKeepTheOrderOfTheItems(count: Int) {
        let items = (0..<count).map { $0 * 7 + 3 }
        #expect(ParallelRead.map(items) { $0 * 2 } == items.map { $0 * 2 })
    }

    @Test func everyItemIsReadOnceAndSeveralThreadsShareThem() {
        let threads = Mutex<[UInt64: Int]>([:])
        let items = Array(0..<640)
        let results = ParallelRead.map(items) { item -> Int in
            threads.withLock { $0[UInt64(pthread_self()), default: 0] += 1 }
            // Long enough that the runs overlap in time instead of one thread taking them all in turn.
            usleep(200)
            return item
        }
        #expect(results == items)
        let counts = threads.withLock { $0 }
        #expect(counts.values.reduce(0, +) == items.count)
        #expect(counts.count > 1)
        #expect(counts.count <= MailStoreDefaults.parallelReadThreads)
    }

    @Test func messagesAndHeadersReadSideBySideMatchOneByOne() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            var uids: [UInt32] = []
            for n in 1...150 {
                // Sizes from a few bytes to several header read chunks, so runs mix small and large files.
                let body = String(repeating: "line \(n) of the body\r\n", count: (n * 37) % 900)
                uids.append(try await inbox.append(bytes: sampleMessage(n, body: body)))
            }
            // A file removed behind the store's back, and UIDs that never existed, read as nil.
            let gone = try #require(await inbox.snapshot().first { $0.uid == uids[70] })
            try FileManager.default.removeItem(atPath: directory.path + "/\(user)/cur/" + gone.fileName)
            let asked = uids + [999_999] + uids.reversed() + [0]
            var oneByOne: [[UInt8]?] = []
            for uid in asked { oneByOne.append(try? await inbox.readMessage(uid: uid)) }
            #expect(oneByOne.compactMap { $0 }.count == 2 * 149)
            #expect(await inbox.readMessages(uids: asked) == oneByOne)
            let headers = await inbox.headerSections(uids: asked)
            #expect(headers.count == asked.count)
            for (whole, header) in zip(oneByOne, headers) {
                guard let whole else {
                    #expect(header == nil)
                    continue
                }
                let header = try #require(header)
                #expect(Array(whole.prefix(header.count)) == header)
                #expect(header.suffix(4) == Array("\r\n\r\n".utf8))
            }
        }
    }
}
