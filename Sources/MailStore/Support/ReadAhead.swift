import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Reads files into the page cache ahead of their reader, without waiting for them.
///
/// `ReadAheadPattern` says which. Each file is opened on a lane of this pool, which pays the directory
/// lookup and the inode read; `posix_fadvise(WILLNEED)` then queues its blocks. The reader that comes for
/// the file finds it in memory, or its blocks already on their way.
///
/// A hint is never waited for and may be dropped: when more than `mostPending` are queued (a disk
/// slower than the clients), new ones are not queued at all.
enum ReadAhead {
    static let mostPending = 64
    /// Files one lane job opens: the lanes' wake-ups are paid per job.
    static let filesPerJob = 4
    private static let lanes = Lanes(label: "correo.mailstore.read-ahead", count: MailStoreDefaults.readAheadThreads)
    private static let pending = Atomic<Int>(0)

    /// Hints `paths`, nearest first, `filesPerJob` to a lane job, the jobs spread over the lanes; returns
    /// how many were queued (the nearest ones), and tells `opened` how many files each job found.
    static func hint(_ paths: [String], opened: @escaping @Sendable (Int) -> Void = { _ in }) -> Int {
        let admitted = admit(paths.count)
        for (turn, start) in stride(from: 0, to: admitted, by: filesPerJob).enumerated() {
            let job = Array(paths[start..<min(start + filesPerJob, admitted)])
            lanes.submit(turn) {
                let found = job.filter(hint)
                pending.subtract(job.count, ordering: .relaxed)
                opened(found.count)
            }
        }
        return admitted
    }

    /// How many of `count` more hints may be queued.
    private static func admit(_ count: Int) -> Int {
        let before = pending.add(count, ordering: .relaxed).oldValue
        let admitted = max(0, min(count, mostPending - before))
        if admitted < count { pending.subtract(count - admitted, ordering: .relaxed) }
        return admitted
    }

    /// Whether the file was there to hint.
    private static func hint(_ path: String) -> Bool {
        // As the reader will: a symbolic link planted in cur/ is not followed.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }  // gone meanwhile (expunged, renamed): nothing to read
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
        close(fd)
        return true
    }
}
