import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Linux inotify, one instance for the whole process, read by one thread.
///
/// A mailbox with IDLE clients watches its new/ and cur/ here, so mail dropped in by another program
/// (a local delivery agent, a second correo process) reaches those clients at once instead of at the
/// next poll. The poll stays as the fallback for what inotify cannot see (network file systems) or
/// when it runs out of watches (`fs.inotify.max_user_watches`): `watch` then returns nil.
final class DirectoryWatcher: @unchecked Sendable {
    /// The process's watcher; nil where inotify is unavailable.
    static let shared: DirectoryWatcher? = DirectoryWatcher()

    /// A registration, handed back to `unwatch`.
    struct Token: Hashable, Sendable {
        fileprivate let id: UInt64
        fileprivate let descriptors: [Int32]
    }

    /// Adding, removing or renaming a directory entry is all a Maildir reader cares about.
    private static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

    private let descriptor: Int32
    private let lock = NSLock()
    private var nextID: UInt64 = 0
    /// Watch descriptor → the callbacks registered on it.
    private var callbacks: [Int32: [UInt64: @Sendable () -> Void]] = [:]

    private init?() {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        let thread = Thread { [self] in readEvents() }
        thread.name = "correo.inotify"
        thread.start()
    }

    /// Calls `changed` whenever an entry of one of `directories` is added, removed or renamed.
    ///
    /// Calls `changed` (on the watcher's thread: keep it short) whenever an entry of one of
    /// `directories` is added, removed or renamed. Nil when a watch cannot be added.
    func watch(_ directories: [String], changed: @escaping @Sendable () -> Void) -> Token? {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        var descriptors: [Int32] = []
        for directory in directories {
            // The same directory watched twice gets the same descriptor back: callbacks share it.
            let watch = inotify_add_watch(descriptor, directory, Self.mask)
            guard watch >= 0 else {
                for added in descriptors { remove(id: nextID, from: added) }
                return nil
            }
            callbacks[watch, default: [:]][nextID] = changed
            descriptors.append(watch)
        }
        return Token(id: nextID, descriptors: descriptors)
    }

    /// Stops the callbacks of `token`; a directory nobody watches any more loses its watch.
    func unwatch(_ token: Token) {
        lock.lock()
        defer { lock.unlock() }
        for watch in token.descriptors { remove(id: token.id, from: watch) }
    }

    private func remove(id: UInt64, from watch: Int32) {
        callbacks[watch]?[id] = nil
        if callbacks[watch]?.isEmpty == true {
            callbacks[watch] = nil
            inotify_rm_watch(descriptor, watch)
        }
    }

    /// Blocks in read(2) for the life of the process; one read may carry many events.
    private func readEvents() {
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            var fired: Set<Int32> = []
            var overflowed = false
            var offset = 0
            // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
            while offset + 16 <= count {
                let watch = buffer.load(fromByteOffset: offset, as: Int32.self)
                let nameLength = Int(buffer.load(fromByteOffset: offset + 12, as: UInt32.self))
                // IN_Q_OVERFLOW comes with descriptor -1: events were lost, so everyone looks.
                if watch == -1 { overflowed = true } else { fired.insert(watch) }
                offset += 16 + nameLength
            }
            lock.lock()
            let watches = overflowed ? Array(callbacks.keys) : Array(fired)
            let due = watches.flatMap { callbacks[$0].map { Array($0.values) } ?? [] }
            lock.unlock()
            for callback in due { callback() }
        }
    }
}
