import Foundation

/// Derived per-message facts kept in `correo-cache` beside the Maildir.
///
/// With them, opening a big folder neither stats nor reads its files. Delete it and it is rebuilt: sizes come from
/// `,S=`/`,W=` in names, and only files without those sizes are read once; the date (the mtime) is read
/// by one stat when a client first asks for it (`MaildirFolder+InternalDates.swift`).
///
/// Format: a header `correo-cache 2 V<uidvalidity>`, then one line per message:
/// `base TAB fileName TAB size TAB crlfSize TAB internalDate(? not read yet) TAB modSeq TAB headerLength(-1 unknown)`.
/// A line whose fileName differs from the file on disk keeps its sizes but not its modseq.
///
/// A line `stamp TAB` six numbers (the modification times of new/, cur/ and the uidlist, seconds and
/// nanoseconds) may follow the header: the folder as it was when those times were taken, proven
/// unchanged since by a scan (see `MaildirFolder`). A reader that does not know the line skips it
/// as a line of the wrong shape.
struct MetadataCache {
    static let fileName = "correo-cache"
    /// Version 2 takes internalDate from the file's mtime (version 1 took the name's seconds):
    /// a cache of another version is ignored and rebuilt.
    static let version = 2

    struct Entry: Equatable, Sendable {
        var fileName: String
        var size: Int
        var crlfSize: Int
        /// Seconds since 1970 (the file's mtime); nil until a reader asks for it.
        var internalDate: Int?
        var modSeq: UInt64
        var headerLength: Int
    }

    let path: String
    var entries: [String: Entry] = [:]
    /// The folder's times when the entries were the whole folder, if they were (see `MaildirFolder`).
    var stamp: [Int64]?

    init(folder: String) {
        path = folder + "/" + Self.fileName
    }

    /// What a cache file holds: the UIDVALIDITY it was written for, its entries and its stamp.
    struct Contents: Sendable {
        var uidValidity: UInt32
        var entries: [String: Entry]
        var stamp: [Int64]?
    }

    /// Loads the cache if it belongs to this UIDVALIDITY; a missing or unreadable cache is empty.
    mutating func load(uidValidity: UInt32) {
        adopt(Self.read(path), uidValidity: uidValidity)
    }

    /// Takes `contents` read from the file (`read`) if they belong to this UIDVALIDITY.
    mutating func adopt(_ contents: Contents?, uidValidity: UInt32) {
        guard let contents, contents.uidValidity == uidValidity else { return }
        if entries.isEmpty {
            entries = contents.entries
            stamp = contents.stamp
        } else {
            entries.merge(contents.entries) { $1 }
        }
    }

    /// The cache file at `path`; nil when it is missing, unreadable or of another version.
    ///
    /// One pass over the bytes, two strings per line (the base and the file name): this runs for every
    /// message of a folder the first time a restarted server opens it, on a thread of its own while the
    /// uidlist is read (`MaildirFolder.init`). A line of the wrong shape is skipped (that message is
    /// measured again).
    static func read(_ path: String) -> Contents? {
        guard let bytes = try? POSIX.readFile(path) else { return nil }
        let prefix = Array("correo-cache \(version) V".utf8)
        guard bytes.starts(with: prefix), let newline = bytes[prefix.count...].firstIndex(of: UInt8(ascii: "\n")),
            let validity = DecimalDigits.integer(bytes[prefix.count..<newline]).flatMap(UInt32.init(exactly:))
        else { return nil }
        let stampLine = Array("stamp\t".utf8)
        var loadedStamp: [Int64]?
        var loaded: [String: Entry] = [:]
        // One line per message, ~130 bytes each: growing the table as it fills would rehash it a dozen times.
        loaded.reserveCapacity(bytes.count / 100)
        bytes.withUnsafeBufferPointer { buffer in
            guard let address = buffer.baseAddress else { return }
            let first = newline + 1
            var start = first
            while start < buffer.count {
                let end =
                    memchr(address + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
                    .map { UnsafeRawPointer(address).distance(to: UnsafeRawPointer($0)) } ?? buffer.count
                if start == first, buffer[start..<end].starts(with: stampLine) {
                    loadedStamp = Self.stamp(buffer[(start + stampLine.count)..<end])
                } else if let (base, entry) = Self.entry(buffer[start..<end]) {
                    loaded[base] = entry
                }
                start = end + 1
            }
        }
        return Contents(uidValidity: validity, entries: loaded, stamp: loadedStamp)
    }

    /// Six tab-separated numbers, or nil.
    private static func stamp(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> [Int64]? {
        let numbers = text.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map {
            DecimalDigits.integer($0).map(Int64.init)
        }
        guard numbers.count == 6, numbers.allSatisfy({ $0 != nil }) else { return nil }
        return numbers.compactMap { $0 }
    }

    /// One line: `base TAB fileName TAB size TAB crlfSize TAB internalDate TAB modSeq TAB headerLength`.
    ///
    /// Cut field by field in one pass, with no array per line (a restarted server's first SELECT of a
    /// big folder runs this for every message).
    private static func entry(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> (String, Entry)? {
        var cursor = line.startIndex
        func field() -> Slice<UnsafeBufferPointer<UInt8>>? {
            guard cursor <= line.endIndex else { return nil }
            var end = cursor
            while end < line.endIndex, line[end] != UInt8(ascii: "\t") { end += 1 }
            defer { cursor = end + 1 }
            return line[cursor..<end]
        }
        guard let base = field(), let fileName = field(),
            let size = field().flatMap(DecimalDigits.integer),
            let crlfSize = field().flatMap(DecimalDigits.integer),
            let date = field().flatMap(Self.date),
            let modSeq = field().flatMap(DecimalDigits.integer).flatMap(UInt64.init(exactly:)),
            let headerLength = field().flatMap(DecimalDigits.integer),
            // Seven fields, no more.
            cursor > line.endIndex
        else { return nil }
        let entry = Entry(
            fileName: String(decoding: UnsafeBufferPointer(rebasing: fileName), as: UTF8.self),
            size: size,
            crlfSize: crlfSize,
            internalDate: date,
            modSeq: modSeq,
            headerLength: headerLength
        )
        return (String(decoding: UnsafeBufferPointer(rebasing: base), as: UTF8.self), entry)
    }

    /// A date field: seconds, or `?` for a date not read yet (`.some(nil)`); nil when it is neither.
    private static func date(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Int?? {
        if field.count == 1, field.first == UInt8(ascii: "?") { return .some(nil) }
        return DecimalDigits.integer(field).map { .some($0) }
    }

    /// Writes the cache atomically; not fsynced, since losing it only costs a rebuild.
    func save(uidValidity: UInt32) throws {
        var out = Array("correo-cache \(Self.version) V\(uidValidity)\n".utf8)
        if let stamp, stamp.count == 6, stamp.allSatisfy({ $0 >= 0 }) {
            out.append(contentsOf: ("stamp\t" + stamp.map(String.init).joined(separator: "\t") + "\n").utf8)
        }
        // Bytes, not a String grown line by line: a folder's first scan writes every message's line.
        out.reserveCapacity(out.count + entries.count * 140)
        let tab = UInt8(ascii: "\t")
        for (base, entry) in entries {
            out.append(contentsOf: base.utf8)
            out.append(tab)
            out.append(contentsOf: entry.fileName.utf8)
            out.append(tab)
            DecimalDigits.append(entry.size, to: &out)
            out.append(tab)
            DecimalDigits.append(entry.crlfSize, to: &out)
            out.append(tab)
            if let date = entry.internalDate {
                DecimalDigits.append(date, to: &out)
            } else {
                out.append(UInt8(ascii: "?"))
            }
            out.append(tab)
            DecimalDigits.append(entry.modSeq, to: &out)
            out.append(tab)
            DecimalDigits.append(entry.headerLength, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        try POSIX.writeFileAtomically(path, out, durable: false)
    }
}
