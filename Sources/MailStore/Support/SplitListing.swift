import CFileSystem

#if canImport(Glibc)
import Glibc
#endif

/// Lists a big ext4 directory in several ranges of its hash order, read side by side.
///
/// ext4 keeps a big directory as a hash tree, and readdir(3) walks its leaf blocks one synchronous
/// disk read at a time: cur/ of 20,000 messages (1.5 MB of directory) takes 23 ms to list from a cold
/// disk on one thread, 10 ms in four ranges and 8 ms in eight. That listing is most of the wait of a
/// folder's first SELECT. A position in such a directory (telldir(3), `d_off`) is the hash of the name
/// there, in the order readdir returns names, and a reader that seeks to a hash starts at the first
/// name at or after it; so each range is read by a reader of its own that seeks to the range's start
/// and stops at its end.
///
/// Only ext4, whose positions are known to be hashes in order (or byte offsets, for a directory small
/// enough to be a plain list: then the first range holds every name). Any other file system, a small
/// directory, or a seek ext4 refuses (32-bit positions) is listed by one reader (`POSIX.listDirectory`).
enum SplitListing {
    /// The names in `path`, as `POSIX.listDirectory` gives them (in another order).
    static func names(in path: String, skipHidden: Bool = true) throws -> [String] {
        try map(in: path, skipHidden: skipHidden) { $0 }
    }

    /// `transform` of each name in `path` (as `POSIX.listDirectory` gives them, in another order),
    /// applied by the reader that read it: a folder's first scan cuts every name there, side by side
    /// and while other readers wait on the disk.
    static func map<T: Sendable>(
        in path: String,
        skipHidden: Bool = true,
        _ transform: @escaping @Sendable (String) -> T
    ) throws -> [T] {
        guard isWorthSplitting(path) else {
            return try POSIX.listDirectory(path, skipHidden: skipHidden).map(transform)
        }
        let parts = MailStoreDefaults.splitListingParts
        // 64-bit positions are (major hash >> 1) << 32 | minor hash, below 2^63. Ranges start on a
        // multiple of 2^32 (`parts` is a power of two), so a seek to a start returns exactly the names
        // whose position is at or after it.
        let span = (UInt64(1) << 63) / UInt64(parts)
        let read = ParallelRead.parts(parts) { part in
            Self.range(
                path,
                from: UInt64(part) * span,
                to: part == parts - 1 ? UInt64(Int64.max) : UInt64(part + 1) * span,
                skipHidden: skipHidden,
                transform
            )
        }
        var ranges: [Range<T>] = []
        ranges.reserveCapacity(read.count)
        for result in read {
            guard let range = try result.get() else {
                return try POSIX.listDirectory(path, skipHidden: skipHidden).map(transform)
            }
            ranges.append(range)
        }
        // A reader's first name has no position of its own to check: when its range holds no name, it
        // is the first name of a later range, read there too. It is then its reader's only name.
        var nextFirst: String?
        var repeated = [Bool](repeating: false, count: ranges.count)
        for (index, range) in ranges.enumerated().reversed() {
            repeated[index] = range.read == 1 && range.first != nil && range.first == nextFirst
            if let first = range.first { nextFirst = first }
        }
        var values: [T] = []
        values.reserveCapacity(ranges.reduce(0) { $0 + $1.values.count })
        for (index, range) in ranges.enumerated() where !repeated[index] { values.append(contentsOf: range.values) }
        return values
    }

    /// What one reader found: how many names it read, the first of them, and what it made of those kept.
    private struct Range<T: Sendable>: Sendable {
        var read = 0
        var first: String?
        var values: [T] = []
    }

    /// ext4 (`EXT4_SUPER_MAGIC`), and big enough that its listing costs more than starting the readers.
    static func isWorthSplitting(_ path: String) -> Bool {
        guard MailStoreDefaults.splitListingParts > 1, let info = POSIX.status(path),
            Int(info.st_size) >= MailStoreDefaults.splitListingMinimumBytes
        else { return false }
        return correo_file_system_type(path) == EXT4_SUPER_MAGIC
    }

    /// The names whose position is in `start..<end`; nil when the directory cannot be read that way.
    private static func range<T: Sendable>(
        _ path: String,
        from start: UInt64,
        to end: UInt64,
        skipHidden: Bool,
        _ transform: (String) -> T
    ) -> Result<Range<T>?, MailStoreError> {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(POSIX.error("open", path)) }
        if start > 0, lseek(fd, off_t(start), SEEK_SET) != off_t(start) {
            close(fd)
            return .success(nil)
        }
        guard let directory = fdopendir(fd) else {
            close(fd)
            return .failure(POSIX.error("fdopendir", path))
        }
        defer { closedir(directory) }
        var found = Range<T>()
        // The position of the name just read: the previous entry's d_off; unknown for a seek's first.
        var position: UInt64? = start == 0 ? 0 : nil
        while let entry = readdir(directory) {
            if let position, position >= end { break }
            position = UInt64(bitPattern: Int64(entry.pointee.d_off))
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            found.read += 1
            if found.first == nil { found.first = name }
            if name == "." || name == ".." { continue }
            if skipHidden && name.hasPrefix(".") { continue }
            if POSIX.isSymbolicLink(entry, in: path, name: name) { continue }
            found.values.append(transform(name))
        }
        return .success(found)
    }
}
