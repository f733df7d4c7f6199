import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// The inotify watcher that wakes IDLE sessions when another program changes a Maildir.
@Suite(.offThePool) struct DirectoryWatcherTests {
    @Test func seesEntriesAddedRenamedAndRemovedUntilUnwatched() async throws {
        try await TemporaryDirectory.with { directory in
            let watcher = try #require(DirectoryWatcher.shared)
            let (stream, continuation) = AsyncStream<Void>.makeStream()
            let token = try #require(watcher.watch([directory.path]) { continuation.yield() })
            var events = stream.makeAsyncIterator()

            try Data("x".utf8).write(to: directory.url.appendingPathComponent("a"))
            #expect(await events.next() != nil)
            try FileManager.default.moveItem(atPath: directory.path + "/a", toPath: directory.path + "/a:2,S")
            #expect(await events.next() != nil)
            try FileManager.default.removeItem(atPath: directory.path + "/a:2,S")
            #expect(await events.next() != nil)

            watcher.unwatch(token)
            continuation.finish()
        }
    }

    @Test func aMissingDirectoryCannotBeWatched() throws {
        let watcher = try #require(DirectoryWatcher.shared)
        #expect(watcher.watch(["/nonexistent/correo/new"]) {} == nil)
    }
}
