/// Values derived from messages' content that IMAP serves again and again — the header section, and
/// whatever a server computes from the content (an encoded BODYSTRUCTURE or ENVELOPE) — kept in memory
/// and in `correo-derived` beside the Maildir, so a restarted server answers a header sync without
/// opening thousands of files (the job of Dovecot's `dovecot.index.cache`).
///
/// Derived, like `MetadataCache`: delete it and it is rebuilt. Never trusted blindly: an entry is
/// keyed by the Maildir base (unique per delivery) and holds the file's size, and a value is only
/// served for a file of that size. A file of another version, UIDVALIDITY or shape is ignored.
/// Bounded by `limit` bytes: beyond it, new values are computed each time but not kept.
///
/// Format (binary-safe): `correo-derived 1 V<uidvalidity>\n`, then per entry
/// `base SP physicalSize SP valueCount\n` followed by each value as `kind SP length\n` + bytes.
struct DerivedCache {
    static let fileName = "correo-derived"
    static let version = 1

    struct Entry: Equatable {
        var physicalSize: Int
        var values: [String: [UInt8]]
    }

    let path: String
    let limit: Int
    private(set) var entries: [String: Entry] = [:]
    /// Bytes of values held (what `limit` bounds).
    private(set) var bytes = 0
    /// Changed since it was loaded or saved.
    var dirty = false
    /// Whether `load` ran (the file is read on first use, not when the folder opens).
    var loaded = false

    init(folder: String, limit: Int) {
        path = folder + "/" + Self.fileName
        self.limit = limit
    }

    /// The value of `kind` for the message with this base, if known for a file of this size.
    func value(base: String, physicalSize: Int, kind: String) -> [UInt8]? {
        guard let entry = entries[base], entry.physicalSize == physicalSize else { return nil }
        return entry.values[kind]
    }

    /// Keeps a value; returns false (keeping nothing) when it would pass the byte limit.
    @discardableResult
    mutating func set(_ value: [UInt8], base: String, physicalSize: Int, kind: String) -> Bool {
        var entry = entries[base] ?? Entry(physicalSize: physicalSize, values: [:])
        if entry.physicalSize != physicalSize {
            bytes -= entry.values.values.reduce(0) { $0 + $1.count }
            entry = Entry(physicalSize: physicalSize, values: [:])
        }
        let replaced = entry.values[kind]?.count ?? 0
        guard bytes - replaced + value.count <= limit else { return false }
        bytes += value.count - replaced
        entry.values[kind] = value
        entries[base] = entry
        dirty = true
        return true
    }

    /// Drops the entries whose base `keep` refuses (messages expunged since).
    mutating func prune(keep: (String) -> Bool) {
        for (base, entry) in entries where !keep(base) {
            bytes -= entry.values.values.reduce(0) { $0 + $1.count }
            entries[base] = nil
            dirty = true
        }
    }

    /// Loads the file if it belongs to this UIDVALIDITY; a missing, foreign or damaged file leaves
    /// the cache empty (or holding the entries before the damage), to be rebuilt.
    mutating func load(uidValidity: UInt32) {
        loaded = true
        guard let data = try? POSIX.readFile(path) else { return }
        var reader = Reader(data: data)
        guard let header = reader.line(), header == Array("correo-derived \(Self.version) V\(uidValidity)".utf8)
        else { return }
        var loadedBytes = 0
        var loadedEntries: [String: Entry] = [:]
        while !reader.atEnd {
            guard let fields = reader.fields(3), let size = Int(fields[1]), let count = Int(fields[2]), size >= 0,
                count >= 0
            else { break }
            var entry = Entry(physicalSize: size, values: [:])
            var complete = true
            for _ in 0..<count {
                guard let valueFields = reader.fields(2), let length = Int(valueFields[1]),
                    let value = reader.take(length)
                else {
                    complete = false
                    break
                }
                entry.values[valueFields[0]] = value
            }
            guard complete else { break }
            let entryBytes = entry.values.values.reduce(0) { $0 + $1.count }
            guard loadedBytes + entryBytes <= limit else { break }
            loadedBytes += entryBytes
            loadedEntries[fields[0]] = entry
        }
        entries = loadedEntries
        bytes = loadedBytes
        dirty = false
    }

    /// Writes the file atomically; not fsynced, since losing it only costs a rebuild.
    mutating func save(uidValidity: UInt32) throws {
        guard dirty else { return }
        var out: [UInt8] = []
        out.reserveCapacity(bytes + entries.count * 96 + 64)
        out.append(contentsOf: "correo-derived \(Self.version) V\(uidValidity)\n".utf8)
        // A base with a space or line end (another program's odd file name) would break the format.
        for (base, entry) in entries where !base.utf8.contains(where: { $0 == 0x20 || $0 == 0x0A }) {
            out.append(contentsOf: "\(base) \(entry.physicalSize) \(entry.values.count)\n".utf8)
            for (kind, value) in entry.values {
                out.append(contentsOf: "\(kind) \(value.count)\n".utf8)
                out.append(contentsOf: value)
            }
        }
        try POSIX.writeFileAtomically(path, out, durable: false)
        dirty = false
    }

    /// Reads the file's lines and counted byte runs, refusing anything out of bounds.
    private struct Reader {
        let data: [UInt8]
        var index = 0

        var atEnd: Bool { index >= data.count }

        mutating func line() -> [UInt8]? {
            guard let end = data[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            defer { index = end + 1 }
            return Array(data[index..<end])
        }

        /// A line of exactly `count` space-separated fields, none of them empty.
        mutating func fields(_ count: Int) -> [String]? {
            guard let line = line() else { return nil }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == count, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
            return parts.map { String(decoding: $0, as: UTF8.self) }
        }

        mutating func take(_ length: Int) -> [UInt8]? {
            guard length >= 0, length <= data.count - index else { return nil }
            defer { index += length }
            return Array(data[index..<index + length])
        }
    }
}
