import Foundation
import MailTestSupport
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
            // The writer is held, so the write cannot finish until the mailbox has answered.
            inbox.cacheWriter.suspend()
            let writing = Task { await inbox.writeCache() }
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            try await waitUntil { await inbox.folder?.cacheDirty == false }
            #expect(await inbox.snapshot().count == 3)
            #expect(try await inbox.synchronize().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: cachePath))
            inbox.cacheWriter.resume()
            await writing.value
            let written = try #require(MetadataCache.read(cachePath))
            #expect(written.entries.count == 3)
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

    @Test func aWriteThatFailedIsMadeAgainByTheNextOne() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            // A directory where the file goes: the atomic rename onto it fails.
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            try FileManager.default.createDirectory(atPath: cachePath + "/blocker", withIntermediateDirectories: true)
            await inbox.writeCache()
            #expect(await inbox.folder?.cacheDirty == true)
            try FileManager.default.removeItem(atPath: cachePath)
            await inbox.writeCache()
            #expect(await inbox.folder?.cacheDirty == false)
            #expect(MetadataCache.read(cachePath)?.entries.count == 1)
        }
    }

    /// Polls `condition` every 5 ms, for 10 s at most.
    private func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<2000 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("condition not met within 10 s")
    }
}
