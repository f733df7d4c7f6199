import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the system calls the store needs, each turning errno into `MailStoreError.io`.
enum POSIX {
    static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> MailStoreError {
        .io(operation: operation, path: path, errno: code)
    }

    /// open(2), retrying on EINTR; never through a symbolic link (O_NOFOLLOW, see PathSafety.swift).
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw error("open", path) }
        }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let written = Glibc.write(fd, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw error("write", path)
            }
            offset += written
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw error("fsync", path) }
        }
    }

    /// sync_file_range(2) over the whole file, waiting before and after the write.
    ///
    /// The data is then on the disk and the metadata not committed. Glibc declares it only under _GNU_SOURCE, which Swift's Glibc module
    /// does not set, so it is looked up by name; -1 with ENOSYS where it does not exist.
    static func writeBack(_ fd: Int32) -> Int32 {
        guard let syncFileRange else {
            errno = ENOSYS
            return -1
        }
        // SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
        return syncFileRange(fd, 0, 0, 1 | 2 | 4)
    }

    /// sync_file_range(2) starting the write of the whole file's dirty pages, without waiting for it.
    ///
    /// A group commit starts every file's write this way first, then waits on each in turn
    /// (`writeBack`): the writes are all in flight together, as they would be from a thread each.
    static func startWriteBack(_ fd: Int32) -> Int32 {
        guard let syncFileRange else {
            errno = ENOSYS
            return -1
        }
        return syncFileRange(fd, 0, 0, 2)  // SYNC_FILE_RANGE_WRITE
    }

    /// Whether `writeBack` exists here.
    static var canWriteBack: Bool { syncFileRange != nil }

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range")
        .map { unsafeBitCast($0, to: SyncFileRange.self) }

    /// renameat2(2) with RENAME_NOREPLACE: moves `source` to `target` unless `target` exists.
    ///
    /// It refuses an existing name (EEXIST) as link(2) does, in one call instead of link and unlink.
    /// Looked up by name like sync_file_range; -1 with ENOSYS where it does not exist, EINVAL where the
    /// file system lacks the flag.
    static func renameNoReplace(_ source: String, _ target: String) -> Int32 {
        guard let renameAt2 else {
            errno = ENOSYS
            return -1
        }
        return renameAt2(AT_FDCWD, source, AT_FDCWD, target, 1)  // RENAME_NOREPLACE
    }

    private typealias RenameAt2 =
        @convention(c) (
            Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32
        ) -> Int32
    private static let renameAt2: RenameAt2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2")
        .map { unsafeBitCast($0, to: RenameAt2.self) }

    /// fsync(2) on a directory: makes the names created, renamed or removed in it durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// mkdir(2) with mode 0700; an existing folder is fine.
    @discardableResult
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws -> Bool {
        if mkdir(path, mode) == 0 { return true }
        if errno == EEXIST { return false }
        throw error("mkdir", path)
    }

    /// The names in a folder, without `.`/`..` and without symbolic links; `skipHidden` also drops
    /// other dot names.
    static func listDirectory(_ path: String, skipHidden: Bool = true) throws -> [String] {
        guard let directory = opendir(path) else { throw error("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            if skipHidden && name.hasPrefix(".") { continue }
            if isSymbolicLink(entry, in: path, name: name) { continue }
            names.append(name)
        }
        return names
    }

    static func status(_ path: String) -> Glibc.stat? {
        var info = Glibc.stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func fileExists(_ path: String) -> Bool { status(path) != nil }

    static func isDirectory(_ path: String) -> Bool {
        guard let info = status(path) else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw error("rename", from) }
    }

    static func link(_ from: String, _ to: String) throws {
        if Glibc.link(from, to) != 0 { throw error("link", to) }
    }

    static func unlink(_ path: String) throws {
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw error("unlink", path) }
    }

    /// Removes files in `path` not modified for `age` seconds, leftovers of writers that died.
    ///
    /// Maildir says "tmp files older than 36 hours". Errors are ignored; it is housekeeping.
    static func removeStaleFiles(in path: String, olderThan age: TimeInterval) {
        guard let names = try? listDirectory(path, skipHidden: false) else { return }
        let limit = Int(Date().timeIntervalSince1970 - age)
        for name in names {
            let file = path + "/" + name
            guard let info = status(file), (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_mtim.tv_sec) < limit
            else { continue }
            Glibc.unlink(file)
        }
    }

    /// The whole file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0 else { throw error("fstat", path) }
        // Straight into the result, no staging buffer and no zeroing first (a restarted server reads
        // its caches, megabytes, this way): reads until the size fstat told plus one byte, then, for
        // a file that grew meanwhile, on until the end.
        let expected = max(Int(info.st_size), 0) + 1
        var result = try [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            while count < buffer.count {
                let read = Glibc.read(fd, base + count, buffer.count - count)
                if read < 0, errno == EINTR { continue }
                if read < 0 { throw error("read", path) }
                if read == 0 { return }
                count += read
            }
        }
        guard result.count == expected else { return result }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if read < 0, errno == EINTR { continue }
            if read < 0 { throw error("read", path) }
            if read == 0 { return result }
            result.append(contentsOf: chunk[0..<read])
        }
    }

    /// Up to `count` bytes from `offset`.
    static func readRange(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var result = [UInt8](repeating: 0, count: max(0, count))
        var filled = 0
        while filled < result.count {
            let got = result.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + filled, buffer.count - filled, off_t(offset + filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if got == 0 { break }
            filled += got
        }
        result.removeSubrange(filled...)
        return result
    }

    /// Replaces `path` with `bytes` atomically: temp file, optional fsync, rename, optional folder fsync.
    static func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600, durable: Bool) throws {
        let temporary = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try writeAll(fd, bytes, path: temporary)
            if fchmod(fd, mode) != 0 { throw error("chmod", temporary) }
            if durable { try fsync(fd, path: temporary) }
            close(fd)
        } catch {
            close(fd)
            Glibc.unlink(temporary)
            throw error
        }
        do {
            try rename(temporary, path)
        } catch {
            Glibc.unlink(temporary)
            throw error
        }
        if durable { try syncDirectory((path as NSString).deletingLastPathComponent) }
    }

    /// Holds an exclusive flock(2) on `path` (created 0600 if missing) while `body` runs.
    static func withExclusiveLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = try open(path, O_RDWR | O_CREAT)
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw error("flock", path) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
