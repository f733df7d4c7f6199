import Dispatch
import Foundation
import MailCore
import MailTestSupport
import Synchronization
import Testing

@testable import MailStore

@Suite(.offThePool) struct GroupCommitTests {
    /// Lets the first batch finish only when the test says so.
    final class Gate: @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let batches = Mutex([[Int]]())
    }

    @Test func callersArrivingDuringASyncShareTheNextBatch() async throws {
        let gate = Gate()
        let committer = GroupCommitter<Int, Int> { batch in
            let first = gate.batches.withLock { batches -> Bool in
                batches.append(batch)
                return batches.count == 1
            }
            if first {
                gate.entered.signal()
                gate.release.wait()
            }
            return batch.map { .success($0 * 10) }
        }
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            group.addTask { (0, try await committer.commit(0)) }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    gate.entered.wait()
                    continuation.resume()
                }
            }
            for item in 1...20 { group.addTask { (item, try await committer.commit(item)) } }
            while committer.waitingCount < 20 { await Task.yield() }
            gate.release.signal()
            var answers: [Int: Int] = [:]
            for try await (item, output) in group { answers[item] = output }
            #expect(answers == Dictionary(uniqueKeysWithValues: (0...20).map { ($0, $0 * 10) }))
        }
        let batches = gate.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.last.map { Set($0) } == Set(1...20))
    }

    @Test func eachCallerGetsItsOwnFailure() async throws {
        struct Odd: Error {}
        let committer = GroupCommitter<Int, Int> { batch in
            batch.map { $0.isMultiple(of: 2) ? .success($0) : .failure(Odd()) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for item in 0..<100 {
                group.addTask {
                    if item.isMultiple(of: 2) {
                        let output = try await committer.commit(item)
                        #expect(output == item)
                    } else {
                        await #expect(throws: Odd.self) { try await committer.commit(item) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func parallelSyncKeepsTheOrderOfItsResults() {
        #expect(ParallelSync.map(Array(0..<100)) { $0 * 2 } == (0..<100).map { $0 * 2 })
        #expect(ParallelSync.map([7]) { $0 + 1 } == [8])
        #expect(ParallelSync.map([Int]()) { $0 }.isEmpty)
    }

    @Test func bytesFillTheBufferUpToItsSizeWithoutTouchingTheDisk() async throws {
        try await withStore { store, directory in
            let limit = MailStoreDefaults.deliveryWriteBufferBytes
            let message = try store.beginDelivery()
            let header = Array("Subject: buffered\r\n\r\n".utf8)
            let body = [UInt8](repeating: UInt8(ascii: "a"), count: limit - 1 - header.count)
            #expect(try message.writeIfBuffered(header))
            #expect(try message.writeIfBuffered(body))
            #expect(try files(in: directory.path + "/tmp").isEmpty)
            #expect(try message.writeIfBuffered([UInt8(ascii: "b")]) == false)
            try message.write([UInt8(ascii: "b")])
            #expect(try files(in: directory.path + "/tmp").count == 1)
            let results = try await store.deliver(message, to: ["buffer@example.test"])
            #expect(results.map(\.isDelivered) == [true])
            let inbox = try await store.mailbox(user: "buffer@example.test", name: .inbox)
            let record = try #require(await inbox.snapshot().first)
            #expect(try await inbox.readMessage(uid: record.uid) == header + body + [UInt8(ascii: "b")])
            #expect(try files(in: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func bareLineFeedsAreCountedAcrossChunks() async throws {
        try await withStore { store, _ in
            let chunks: [[UInt8]] = [Array("Subject: x\r".utf8), Array("\n\r\na\nb\r".utf8), Array("\n\nc\n".utf8)]
            let message = try store.beginDelivery()
            for chunk in chunks { try message.write(chunk) }
            let size = chunks.joined().count
            let results = try await store.deliver(message, to: ["lf@example.test"])
            #expect(results.first?.outcome == .delivered(fileName: fileNames(results).first ?? ""))
            #expect(fileNames(results).first?.hasSuffix(",S=\(size),W=\(size + 3)") == true)
        }
        var previous: UInt8 = 0
        let octets: [UInt8] = Array("\n\r\n\n".utf8)
        #expect(octets.withUnsafeBytes { LineEnds.bareLineFeedCount(in: $0, previous: &previous) } == 2)
        #expect(previous == 0x0A)
        #expect(octets.withUnsafeBytes { LineEnds.bareLineFeedCount(in: $0) } == 2)
    }

    @Test func oneBatchDeliversToManyUsersDurably() async throws {
        try await withStore { store, directory in
            let users = (0..<16).map { "u\($0)@example.test" }
            try await withThrowingTaskGroup(of: [DeliveryResult].self) { group in
                for (index, user) in users.enumerated() {
                    group.addTask { try await store.deliver(bytes: sampleMessage(index), to: [user]) }
                }
                for try await results in group { #expect(results.map(\.isDelivered) == [true]) }
            }
            for user in users { #expect(try files(in: directory.path + "/" + user + "/new").count == 1) }
            #expect(try files(in: directory.path + "/tmp").isEmpty)
        }
    }
}

private func fileNames(_ results: [DeliveryResult]) -> [String] {
    results.compactMap { result in
        if case .delivered(let fileName) = result.outcome { return fileName }
        return nil
    }
}
