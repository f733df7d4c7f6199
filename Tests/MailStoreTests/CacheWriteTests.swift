import Foundation
import MailTestSupport
import Synchronization
import Testing

@testable import MailStore

/// The caches are written off the mailbox's queue (`Mailbox+CacheWrite.swift`): a session is not held
/// up by a write, the files end as the newest copy, and a failed write is tried again later.
@Suite(.offThePool) struct CacheWriteTests {
    private let user = "writer@example.test"

    @Test func theMailboxAnswersWhileItsCacheIsBeingWritten() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...3 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            await inbox.writeCache()
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            #expect(MetadataCache.read(cachePath)?.entries.count == 3)
            _ = try await inbox.append(bytes: sampleMessage(4))
            // The writer is held, so the write cannot finish until the mailbox has answered.
            inbox.cacheWriter.suspend()
            let writing = Task { await inbox.writeCache() }
            try await waitUntil { await inbox.folder?.cacheDirty == false }
            #expect(await inbox.snapshot().count == 4)
            #expect(try await inbox.synchronize().isEmpty)
            #expect(MetadataCache.read(cachePath)?.entries.count == 3)
            inbox.cacheWriter.resume()
            await writing.value
            #expect(MetadataCache.read(cachePath)?.entries.count == 4)
        }
    }

    @Test func writesFinishInTheOrderTheirCopiesWereTaken() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            inbox.cacheWriter.suspend()
            let first = Task { await inbox.writeCache() }
            try await waitUntil { await inbox.folder?.cacheDirty == false }
            _ = try await inbox.changeFlags(uids: [uid], flags: .flagged, keywords: [], operation: .add)
            let second = Task { await inbox.writeCache() }
            try await waitUntil { await inbox.folder?.cacheDirty == false }
            inbox.cacheWriter.resume()
            await first.value
            await second.value
            let written = try #require(MetadataCache.read(directory.path + "/\(user)/" + MetadataCache.fileName))
            let file = try #require(await inbox.snapshot().first?.fileName)
            #expect(file.hasSuffix("F"))
            #expect(written.entries.values.map(\.fileName) == [file])
        }
    }

    /// At shutdown the store asks every mailbox to write: with nothing changed since a session's flush,
    /// the answer still waits for that flush's write, or the process could exit before it.
    @Test func aWriteWithNothingNewWaitsForTheWriteUnderWay() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            inbox.cacheWriter.suspend()
            let flush = Task { await inbox.writeCache() }
            try await waitUntil { await inbox.folder?.cacheDirty == false }
            let finished = Mutex(false)
            let shutdown = Task {
                await inbox.writeCache()
                finished.withLock { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(!finished.withLock { $0 })
            inbox.cacheWriter.resume()
            await shutdown.value
            #expect(MetadataCache.read(directory.path + "/\(user)/" + MetadataCache.fileName)?.entries.count == 1)
            await flush.value
        }
    }

    @Test func aWriteThatFailedIsMadeAgainByTheNextOne() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            await inbox.writeCache()
            // A directory where the file goes: the atomic rename onto it fails (a write the append
            // below schedules fails the same way).
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            try FileManager.default.removeItem(atPath: cachePath)
            try FileManager.default.createDirectory(atPath: cachePath + "/blocker", withIntermediateDirectories: true)
            _ = try await inbox.append(bytes: sampleMessage(2))
            await inbox.writeCache()
            #expect(await inbox.folder?.cacheDirty == true)
            try FileManager.default.removeItem(atPath: cachePath)
            await inbox.writeCache()
            #expect(await inbox.folder?.cacheDirty == false)
            #expect(MetadataCache.read(cachePath)?.entries.count == 2)
        }
    }

    /// A session's flush at logout is written once clients pause: the next client's commands do not
    /// share the machine with it.
    @Test func aFlushWaitsWhileClientsKeepAskingAndIsWrittenAfterThePause() async throws {
        try await withFlaggedAfterAWrite(delay: .seconds(3), longestWait: .seconds(600)) { inbox, flaggedOnDisk in
            await inbox.flushCaches()
            // A client asking every 25 ms for 4 s, past the delay: only a stall of 3 s would let it in,
            // and a full test run on two cores once stalled this client that long.
            let asked = try await keepAsking(inbox, for: .seconds(4), until: flaggedOnDisk)
            #expect(!asked.done || asked.longestPause >= .seconds(3), "longest pause \(asked.longestPause)")
            try await waitUntil(flaggedOnDisk)
        }
    }

    @Test func aClientThatNeverPausesStillGetsTheFlushWrittenAtTheLongestWait() async throws {
        // Not 1 s: the write the APPEND scheduled is due that long after its own due time, and on a
        // loaded machine it came between the flag change and the first look at the file.
        try await withFlaggedAfterAWrite(delay: .seconds(600), longestWait: .seconds(5)) { inbox, flaggedOnDisk in
            await inbox.flushCaches()
            let asked = try await keepAsking(inbox, for: .seconds(60), until: flaggedOnDisk)
            #expect(asked.done)
        }
    }

    /// A mailbox whose cache file was written, then a message flagged (the file not yet changed);
    /// `body` gets it and a test of whether the file shows the flag.
    private func withFlaggedAfterAWrite(
        delay: Duration,
        longestWait: Duration,
        _ body: (Mailbox, @escaping () async -> Bool) async throws -> Void
    ) async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            await inbox.setSettleDelay(delay, longestWait: longestWait)
            await inbox.writeCache()
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            let flaggedOnDisk: () async -> Bool = {
                MetadataCache.read(cachePath)?.entries.values.first?.fileName.hasSuffix("F") == true
            }
            _ = try await inbox.changeFlags(uids: [uid], flags: .flagged, keywords: [], operation: .add)
            #expect(await !flaggedOnDisk())
            try await body(inbox, flaggedOnDisk)
        }
    }

    /// Looks at `inbox` every 25 ms for `duration` or until `done`.
    ///
    /// Returns whether `done` ended it, and the longest time between two looks.
    private func keepAsking(
        _ inbox: Mailbox,
        for duration: Duration,
        until done: () async -> Bool
    ) async throws -> (done: Bool, longestPause: Duration) {
        let until = ContinuousClock.now + duration
        var longestPause = Duration.zero
        var last = ContinuousClock.now
        for _ in 0..<10_000 where ContinuousClock.now < until {
            _ = await inbox.look(since: nil, claimRecent: false)
            longestPause = max(longestPause, ContinuousClock.now - last)
            last = .now
            if await done() { return (true, longestPause) }
            try await Task.sleep(for: .milliseconds(25))
        }
        return (false, longestPause)
    }

    /// Polls `condition` every 5 ms, for 60 s at most (a loaded machine's shared threads can stall
    /// a task for seconds).
    private func waitUntil(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("condition not met within 60 s")
    }
}
