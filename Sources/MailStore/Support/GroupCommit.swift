import Foundation

/// Group commit for directory fsyncs: every caller that renamed or linked a file into a folder asks
/// for that folder to be synced; callers that arrive while a sync is running wait for the next one
/// (their rename may have come after that sync started), and one fsync answers everybody waiting.
/// Nobody is resumed before an fsync that began after their request.
final class DirectorySyncer: Sendable {
    private struct Folder {
        var running = false
        var waiting: [CheckedContinuation<Void, Error>] = []
    }

    private let folders = LockedValue([String: Folder]())

    /// Returns once an fsync of `path` that started after this call has finished.
    func sync(_ path: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let start = folders.withLock { folders -> Bool in
                folders[path, default: Folder()].waiting.append(continuation)
                if folders[path]?.running == true { return false }
                folders[path]?.running = true
                return true
            }
            if start { runRound(path) }
        }
    }

    /// Syncs once for everybody waiting now, then again for anybody who arrived meanwhile.
    private func runRound(_ path: String) {
        let batch = folders.withLock { folders -> [CheckedContinuation<Void, Error>] in
            let waiting = folders[path]?.waiting ?? []
            folders[path]?.waiting = []
            return waiting
        }
        Task.detached {
            let result = await BlockingIO.run { Result { try POSIX.syncDirectory(path) } }
            for continuation in batch { continuation.resume(with: result) }
            let again = self.folders.withLock { folders -> Bool in
                if folders[path]?.waiting.isEmpty ?? true {
                    folders[path] = nil
                    return false
                }
                return true
            }
            if again { self.runRound(path) }
        }
    }
}
