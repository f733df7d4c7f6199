import Foundation

/// Derived per-message facts kept in `correo-cache` beside the Maildir.
///
/// With them, opening a big folder neither stats nor reads its files. Delete it and it is rebuilt: sizes come from
/// `,S=`/`,W=` in names, and only files without those sizes are read once; the date (the mtime) is read
/// by one stat when a client first asks for it (`MaildirFolder+InternalDates.swift`).
///
/// Format: a header `correo-cache 3 V<uidvalidity>`, then one line per message:
/// `fileName TAB size TAB crlfSize TAB internalDate(? not read yet) TAB modSeq TAB headerLength(-1 unknown)`;
/// the message's base (its identity in the uidlist) is the file name before `:`. A line whose
/// fileName differs from the file on disk keeps its sizes but not its modseq.
///
/// A line `stamp TAB` six numbers (the modification times of new/, cur/ and the uidlist, seconds and
/// nanoseconds) may follow the header: the folder as it was when those times were taken, proven
/// unchanged since by a scan (see `MaildirFolder`). A reader that does not know the line skips it
/// as a line of the wrong shape.
struct MetadataCache {
    static let fileName = "correo-cache"
    /// The format's version: a cache of another version is ignored and rebuilt.
    ///
    /// Version 2 took internalDate from the file's mtime (version 1 took the name's seconds); version
    /// 3 drops the base field, which repeated the start of the file name (a third of the file, and a
    /// string per line to parse when a restarted server opens the folder).
    static let version = 3

    struct Entry: Equatable, Sendable {
        var fileName: String
        var size: Int
        var crlfSize: Int
        /// Seconds since 1970 (the file's mtime); nil until a reader asks for it.
        var internalDate: Int?
        var modSeq: UInt64
        var headerLength: Int

        /// The message's base: its file name before `:` (`MaildirFileName.base(of:)`).
        var base: String { MaildirFileName.base(of: fileName) }
    }

    let path: String
    /// base → entry; empty while the lines read are not indexed yet (`entries`).
    private var table: [String: Entry] = [:]
    /// The lines of the file as read, in its order, until something asks for `entries`.
    private(set) var linesAsRead: [Entry] = []
    /// Changes made while the table was not built, in order; applied when it is (`change`).
    private var pending: [(base: String, change: Change)] = []
    /// The folder's times when the entries were the whole folder, if they were (see `MaildirFolder`).
    var stamp: [Int64]?

    /// base → entry.
    ///
    /// A folder opened from its cache after a restart takes its view from the lines, in order beside
    /// the uidlist's, and may never need this table (a hashed insert of every message's name, which
    /// that first SELECT would wait for); it is built when first asked for or changed.
    var entries: [String: Entry] {
        mutating get {
            index()
            return table
        }
        _modify {
            index()
            yield &table
        }
        set {
            linesAsRead = []
            pending = []
            table = newValue
        }
    }

    /// Builds the table from the lines read, if there are any (a base listed twice keeps its last),
    /// and makes the changes made meanwhile.
    private mutating func index() {
        guard !linesAsRead.isEmpty else { return }
        table.reserveCapacity(table.count + linesAsRead.count)
        for entry in linesAsRead { table[entry.base] = entry }
        linesAsRead = []
        for (base, change) in pending { change.apply(to: &table[base]) }
        pending = []
    }

    /// A change to the entry of one message, if it has one.
    struct Change: Sendable {
        /// The file's new name and the mod-sequence of the change (a STORE's rename).
        var renamed: (fileName: String, modSeq: UInt64)?
        /// The date read by a stat, kept only if the entry still names the file that was stat'ed.
        var dated: (date: Int, fileName: String)?

        func apply(to entry: inout Entry?) {
            guard var changed = entry else { return }
            if let (fileName, modSeq) = renamed {
                changed.fileName = fileName
                changed.modSeq = modSeq
            }
            if let (date, fileName) = dated, changed.fileName == fileName { changed.internalDate = date }
            entry = changed
        }
    }

    /// Changes the entry of `base`, if there is one.
    ///
    /// While the table is not built (a folder opened from its cache after a restart), the change waits
    /// in a list instead: a STORE on a thousand messages right after the first SELECT then does not
    /// wait for a table of all 20,000. The list is applied when the table is built, and written by `save`.
    mutating func change(_ base: String, _ change: Change) {
        if linesAsRead.isEmpty {
            change.apply(to: &table[base])
        } else {
            pending.append((base, change))
        }
    }

    /// The highest mod-sequence of any entry, without building the table.
    var highestModSeq: UInt64 {
        max(
            linesAsRead.reduce(0) { max($0, $1.modSeq) },
            table.values.reduce(0) { max($0, $1.modSeq) },
            pending.reduce(0) { max($0, $1.change.renamed?.modSeq ?? 0) }
        )
    }

    init(folder: String) {
        path = folder + "/" + Self.fileName
    }

    /// What a cache file holds: the UIDVALIDITY it was written for, its lines in order and its stamp.
    struct Contents: Sendable {
        var uidValidity: UInt32
        var lines: [Entry]
        var stamp: [Int64]?

        /// The lines as a table by base (a base listed twice keeps its last line).
        var entries: [String: Entry] { Dictionary(lines.map { ($0.base, $0) }, uniquingKeysWith: { $1 }) }
    }

    /// Loads the cache if it belongs to this UIDVALIDITY; a missing or unreadable cache is empty.
    mutating func load(uidValidity: UInt32) {
        adopt(Self.read(path), uidValidity: uidValidity)
    }

    /// Takes `contents` read from the file (`read`) if they belong to this UIDVALIDITY.
    mutating func adopt(_ contents: Contents?, uidValidity: UInt32) {
        guard let contents, contents.uidValidity == uidValidity else { return }
        if table.isEmpty, linesAsRead.isEmpty {
            linesAsRead = contents.lines
            stamp = contents.stamp
        } else {
            index()
            for entry in contents.lines { table[entry.base] = entry }
        }
    }

    /// The cache file at `path`; nil when it is missing, unreadable or of another version.
    ///
    /// One pass over the bytes, one string per line (the file name), no table: this runs
    /// for every message of a folder the first time a restarted server opens it, on a thread of its
    /// own while the uidlist is read (`MaildirFolder.init`), and a big file is cut in two halves parsed
    /// side by side. A line of the wrong shape is skipped (that message is measured again).
    static func read(_ path: String) -> Contents? {
        guard let bytes = try? POSIX.readFile(path) else { return nil }
        let prefix = Array("correo-cache \(version) V".utf8)
        guard bytes.starts(with: prefix), let newline = bytes[prefix.count...].firstIndex(of: UInt8(ascii: "\n")),
            let validity = DecimalDigits.integer(bytes[prefix.count..<newline]).flatMap(UInt32.init(exactly:))
        else { return nil }
        let stampLine = Array("stamp\t".utf8)
        var loadedStamp: [Int64]?
        var first = newline + 1
        let stampEnd = bytes.withUnsafeBufferPointer { lineEnd(in: $0, from: first) }
        if bytes[first..<stampEnd].starts(with: stampLine) {
            loadedStamp = bytes.withUnsafeBufferPointer { Self.stamp($0[(first + stampLine.count)..<stampEnd]) }
            first = stampEnd + 1
        }
        // Cut where a line ends near the middle; each half is parsed on its own thread.
        var cuts = [first]
        if bytes.count - first >= Self.sideBySideBytes {
            let middle = bytes.withUnsafeBufferPointer { lineEnd(in: $0, from: first + (bytes.count - first) / 2) }
            cuts.append(min(bytes.count, middle + 1))
        }
        cuts.append(bytes.count)
        let bounds = cuts
        var halves = SideBySide.map(parts: bounds.count - 1) { part in
            bytes.withUnsafeBufferPointer { buffer in
                var parsed: [Entry] = []
                // One line per message, ~80 bytes each.
                parsed.reserveCapacity((bounds[part + 1] - bounds[part]) / 100)
                var start = bounds[part]
                while start < bounds[part + 1] {
                    let end = lineEnd(in: buffer, from: start)
                    if let line = Self.entry(buffer[start..<end]) { parsed.append(line) }
                    start = end + 1
                }
                return parsed
            }
        }
        var lines = halves.removeFirst()
        for half in halves { lines.append(contentsOf: half) }
        return Contents(uidValidity: validity, lines: lines, stamp: loadedStamp)
    }

    /// A cache this big (about 500 messages) is parsed in two halves side by side.
    static let sideBySideBytes = 64 * 1024

    /// Where the line starting at `start` ends: its newline, or the end of the buffer.
    private static func lineEnd(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < buffer.count, let address = buffer.baseAddress else { return buffer.count }
        return memchr(address + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
            .map { UnsafeRawPointer(address).distance(to: UnsafeRawPointer($0)) } ?? buffer.count
    }

    /// Six tab-separated numbers, or nil.
    private static func stamp(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> [Int64]? {
        let numbers = text.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map {
            DecimalDigits.integer($0).map(Int64.init)
        }
        guard numbers.count == 6, numbers.allSatisfy({ $0 != nil }) else { return nil }
        return numbers.compactMap { $0 }
    }

    /// One line: `fileName TAB size TAB crlfSize TAB internalDate TAB modSeq TAB headerLength`.
    ///
    /// Cut field by field in one pass, with no array per line (a restarted server's first SELECT of a
    /// big folder runs this for every message).
    private static func entry(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Entry? {
        var cursor = line.startIndex
        func field() -> Slice<UnsafeBufferPointer<UInt8>>? {
            guard cursor <= line.endIndex else { return nil }
            var end = cursor
            while end < line.endIndex, line[end] != UInt8(ascii: "\t") { end += 1 }
            defer { cursor = end + 1 }
            return line[cursor..<end]
        }
        guard let fileName = field(), !fileName.isEmpty,
            let size = field().flatMap(DecimalDigits.integer),
            let crlfSize = field().flatMap(DecimalDigits.integer),
            let date = field().flatMap(Self.date),
            let modSeq = field().flatMap(DecimalDigits.integer).flatMap(UInt64.init(exactly:)),
            let headerLength = field().flatMap(DecimalDigits.integer),
            // Six fields, no more.
            cursor > line.endIndex
        else { return nil }
        return Entry(
            fileName: String(decoding: UnsafeBufferPointer(rebasing: fileName), as: UTF8.self),
            size: size,
            crlfSize: crlfSize,
            internalDate: date,
            modSeq: modSeq,
            headerLength: headerLength
        )
    }

    /// A date field: seconds, or `?` for a date not read yet (`.some(nil)`); nil when it is neither.
    private static func date(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Int?? {
        if field.count == 1, field.first == UInt8(ascii: "?") { return .some(nil) }
        return DecimalDigits.integer(field).map { .some($0) }
    }

    /// Writes the cache atomically; not fsynced, since losing it only costs a rebuild.
    ///
    /// The entries of `records` come first, in their order (the view's, by UID, as the uidlist lists
    /// them), so that the next open can take both files side by side, line by line, without a table
    /// (`MaildirFolder.openFromCache`); entries of files not in the view follow.
    func save(uidValidity: UInt32, inOrderOf records: [MessageRecord] = []) throws {
        var out = Array("correo-cache \(Self.version) V\(uidValidity)\n".utf8)
        if let stamp, stamp.count == 6, stamp.allSatisfy({ $0 >= 0 }) {
            out.append(contentsOf: ("stamp\t" + stamp.map(String.init).joined(separator: "\t") + "\n").utf8)
        }
        // Bytes, not a String grown line by line: a folder's first scan writes every message's line.
        out.reserveCapacity(out.count + (table.count + linesAsRead.count) * 140)
        // Lines never indexed are still in the order they were read, with the changes made since.
        let changes = Dictionary(grouping: pending, by: \.base)
        for entry in linesAsRead {
            var changed: Entry? = entry
            if !changes.isEmpty { for (_, change) in changes[entry.base] ?? [] { change.apply(to: &changed) } }
            Self.append(changed ?? entry, to: &out)
        }
        var written = 0
        for record in records {
            guard let entry = table[record.base] else { continue }
            Self.append(entry, to: &out)
            written += 1
        }
        if written < table.count {
            let inView = Set(records.lazy.map(\.base))
            for (base, entry) in table where !inView.contains(base) { Self.append(entry, to: &out) }
        }
        try POSIX.writeFileAtomically(path, out, durable: false)
    }

    /// One line: `fileName TAB size TAB crlfSize TAB internalDate TAB modSeq TAB headerLength`; none
    /// for an entry that names no file yet (its sizes are measured again).
    private static func append(_ entry: Entry, to out: inout [UInt8]) {
        guard !entry.fileName.isEmpty else { return }
        let tab = UInt8(ascii: "\t")
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
}
