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
        let expected = Array("correo-derived \(Self.version) V\(uidValidity)\n".utf8)
        guard data.starts(with: expected) else { return }
        let limit = self.limit
        let (parsed, total) = data.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, index: expected.count)
            return reader.entries(limit: limit)
        }
        entries = parsed
        bytes = total
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

    /// Reads the file's entries in one pass, refusing anything out of bounds.
    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var index: Int
        /// Kind names seen so far (a handful), so each is made into a String once.
        var kinds: [(bytes: [UInt8], name: String)] = []

        /// The entries up to the first damage (or `limit` bytes of values), and their value bytes.
        mutating func entries(limit: Int) -> ([String: Entry], Int) {
            var result: [String: Entry] = [:]
            result.reserveCapacity(buffer.count / 1024)
            var total = 0
            while index < buffer.count {
                guard let base = word(until: UInt8(ascii: " ")), let size = number(until: UInt8(ascii: " ")),
                    let count = number(until: UInt8(ascii: "\n"))
                else { break }
                var entry = Entry(physicalSize: size, values: [:])
                var entryBytes = 0
                var complete = true
                for _ in 0..<count {
                    guard let kind = word(until: UInt8(ascii: " ")), let length = number(until: UInt8(ascii: "\n")),
                        length <= buffer.count - index
                    else {
                        complete = false
                        break
                    }
                    entry.values[kindName(kind)] = Array(UnsafeBufferPointer(rebasing: buffer[index..<index + length]))
                    index += length
                    entryBytes += length
                }
                guard complete, total + entryBytes <= limit else { break }
                total += entryBytes
                result[String(decoding: base, as: UTF8.self)] = entry
            }
            return (result, total)
        }

        /// The non-empty bytes before `separator` (which is consumed); nil at a line end or the end.
        mutating func word(until separator: UInt8) -> UnsafeBufferPointer<UInt8>? {
            let start = index
            while index < buffer.count, buffer[index] != separator, buffer[index] != UInt8(ascii: "\n") {
                index += 1
            }
            guard index < buffer.count, buffer[index] == separator, index > start else { return nil }
            defer { index += 1 }
            return UnsafeBufferPointer(rebasing: buffer[start..<index])
        }

        /// A decimal number (at most 18 digits) before `separator`.
        mutating func number(until separator: UInt8) -> Int? {
            guard let digits = word(until: separator), digits.count <= 18 else { return nil }
            var value = 0
            for digit in digits {
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(digit - UInt8(ascii: "0"))
            }
            return value
        }

        mutating func kindName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
            if let known = kinds.first(where: { $0.bytes.elementsEqual(bytes) }) { return known.name }
            let name = String(decoding: bytes, as: UTF8.self)
            kinds.append((Array(bytes), name))
            return name
        }
    }
}
