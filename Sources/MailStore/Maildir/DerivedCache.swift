import Foundation

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
/// Loading keeps the file whole and indexes where each entry lies; a value is copied out when asked
/// for. A restarted server answering its first header sync then pays one read and one pass over the
/// file, not an array and a dictionary per message.
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
    /// The file as loaded; `stored` points into it.
    private var file: [UInt8] = []
    /// Entries of the file not changed since it was loaded, by base.
    private var stored = StoredIndex()
    /// Entries made or changed since the load, by base (a base is in `stored` or here, not both).
    private var changed: [String: Entry] = [:]
    /// Values of a kind a stored entry did not have, added since the load, by base and kind: adding one
    /// leaves the entry's other values in the file instead of copying them all out.
    private var added: [String: [String: [UInt8]]] = [:]
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

    /// How many messages have values.
    var count: Int { stored.count + changed.count }

    /// A message as the cache knows it: its Maildir base and the size of its file.
    struct Key {
        var base: String
        var physicalSize: Int
    }

    /// The values of `kind` for many messages (nil where unknown), in one access to the cache; each as
    /// `read` makes it of the value's bytes where they lie (a copy, unless told otherwise).
    func values(
        _ keys: [Key?],
        kind: String,
        _ read: (UnsafeBufferPointer<UInt8>) -> [UInt8] = { Array($0) }
    ) -> [[UInt8]?] {
        keys.map { key in key.flatMap { value(base: $0.base, physicalSize: $0.physicalSize, kind: kind, read) } }
    }

    /// The value of `kind` for the message with this base, if known for a file of this size.
    func value(
        base: String,
        physicalSize: Int,
        kind: String,
        _ read: (UnsafeBufferPointer<UInt8>) -> [UInt8] = { Array($0) }
    ) -> [UInt8]? {
        if !changed.isEmpty, let entry = changed[base] {
            guard entry.physicalSize == physicalSize else { return nil }
            return entry.values[kind]?.withUnsafeBufferPointer(read)
        }
        // A loaded entry of another size has no values, not even those added beside it since.
        guard let entry = storedEntry(base), entry.physicalSize == physicalSize else { return nil }
        let inFile = file.withUnsafeBufferPointer { buffer -> [UInt8]? in
            var reader = Reader(buffer: buffer, index: entry.values.lowerBound)
            for _ in 0..<entry.valueCount {
                guard let (name, value) = reader.value() else { return nil }
                if Self.isKind(name, kind) { return read(value) }
            }
            return nil
        }
        if inFile == nil, !added.isEmpty, let value = added[base]?[kind] { return value.withUnsafeBufferPointer(read) }
        return inFile
    }

    /// Kinds one message keeps at most (`MailStorageLimits.derivedKindsPerMessage`).
    static let kindsPerMessage = MailStorageLimits.derivedKindsPerMessage

    /// Keeps a value; returns false (keeping nothing) when it would pass the byte limit, or add a
    /// kind to a message that has `kindsPerMessage` already.
    @discardableResult
    mutating func set(_ value: [UInt8], base: String, physicalSize: Int, kind: String) -> Bool {
        if let entry = storedEntry(base), entry.physicalSize == physicalSize, !storedHas(entry, kind: kind) {
            let extra = added[base]
            guard extra?[kind] != nil || entry.valueCount + (extra?.count ?? 0) < Self.kindsPerMessage else {
                return false
            }
            let replaced = added[base]?[kind]?.count ?? 0
            guard bytes - replaced + value.count <= limit else { return false }
            bytes += value.count - replaced
            added[base, default: [:]][kind] = value
            dirty = true
            return true
        }
        var entry = changed[base] ?? takeStored(base) ?? Entry(physicalSize: physicalSize, values: [:])
        if entry.physicalSize != physicalSize {
            bytes -= entry.values.values.reduce(0) { $0 + $1.count }
            entry = Entry(physicalSize: physicalSize, values: [:])
        }
        let replaced = entry.values[kind]?.count ?? 0
        guard bytes - replaced + value.count <= limit,
            entry.values[kind] != nil || entry.values.count < Self.kindsPerMessage
        else {
            if !entry.values.isEmpty { changed[base] = entry }
            return false
        }
        bytes += value.count - replaced
        entry.values[kind] = value
        changed[base] = entry
        dirty = true
        return true
    }

    /// Drops the entries whose base `keep` refuses (messages expunged since).
    mutating func prune(keep: (String) -> Bool) {
        for (base, entry) in changed where !keep(base) {
            bytes -= entry.values.values.reduce(0) { $0 + $1.count }
            changed[base] = nil
            dirty = true
        }
        let gone = stored.entries.compactMap { entry -> (String, StoredEntry)? in
            let base = String(decoding: file[entry.base], as: UTF8.self)
            return keep(base) ? nil : (base, entry)
        }
        guard !gone.isEmpty else { return }
        let goneBases = Set(gone.map { $0.1.base.lowerBound })
        stored.removeAll { goneBases.contains($0.base.lowerBound) }
        for (base, entry) in gone {
            bytes -= entry.bytes + (added.removeValue(forKey: base)?.values.reduce(0) { $0 + $1.count } ?? 0)
        }
        dirty = true
    }

    /// Loads the file if it belongs to this UIDVALIDITY; a missing, foreign or damaged file leaves
    /// the cache empty (or holding the entries before the damage), to be rebuilt.
    ///
    /// `expectedCount` (the folder's messages) sizes the table at once: entries run from ~100 bytes
    /// (header fields) to kilobytes (header sections), so the file's size does not tell their number.
    mutating func load(uidValidity: UInt32, expectedCount: Int = 0) {
        loaded = true
        guard let data = try? POSIX.readFile(path) else { return }
        let expected = Array("correo-derived \(Self.version) V\(uidValidity)\n".utf8)
        guard data.starts(with: expected) else { return }
        let limit = self.limit
        let (index, total) = data.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, index: expected.count)
            return reader.entries(limit: limit, expectedCount: expectedCount)
        }
        file = data
        stored = index
        changed = [:]
        added = [:]
        bytes = total
        dirty = false
    }

    /// Writes the file atomically if it changed; not fsynced, since losing it only costs a rebuild.
    mutating func save(uidValidity: UInt32) throws {
        guard dirty else { return }
        try write(uidValidity: uidValidity)
        dirty = false
    }

    /// Writes the file atomically as this value holds it, changed or not (a copy taken by
    /// `Mailbox.writeCache`, written off the mailbox's queue), the entries of `order`'s bases first
    /// and in that order (the folder's, by UID: a FETCH 1:* after a restart then reads the file from
    /// start to end instead of all over it), then any other.
    func write(uidValidity: UInt32, inOrderOf order: some Sequence<String> = [String]()) throws {
        var out: [UInt8] = []
        out.reserveCapacity(bytes + count * 96 + 64)
        out.append(contentsOf: "correo-derived \(Self.version) V\(uidValidity)\n".utf8)
        var storedWritten = Set<Int>()  // by where the base lies in the file
        var changedWritten = Set<String>()
        for base in order {
            if let entry = changed[base] {
                if changedWritten.insert(base).inserted { append(entry, base: base, to: &out) }
            } else if let entry = storedEntry(base), storedWritten.insert(entry.base.lowerBound).inserted {
                append(entry, to: &out)
            }
        }
        for entry in stored.entries where !storedWritten.contains(entry.base.lowerBound) { append(entry, to: &out) }
        for (base, entry) in changed where !changedWritten.contains(base) { append(entry, base: base, to: &out) }
        try POSIX.writeFileAtomically(path, out, durable: false)
    }

    /// An entry not changed since the load: copied as it is in the file, with the values added beside it.
    private func append(_ entry: StoredEntry, to out: inout [UInt8]) {
        let base = file[entry.base]
        let extra = added.isEmpty ? [:] : added[String(decoding: base, as: UTF8.self)] ?? [:]
        out.append(contentsOf: base)
        out.append(contentsOf: " \(entry.physicalSize) \(entry.valueCount + extra.count)\n".utf8)
        out.append(contentsOf: file[entry.values])
        for (kind, value) in extra {
            out.append(contentsOf: "\(kind) \(value.count)\n".utf8)
            out.append(contentsOf: value)
        }
    }

    private func append(_ entry: Entry, base: String, to out: inout [UInt8]) {
        // A base with a space or line end (another program's odd file name) would break the format.
        guard !base.utf8.contains(where: { $0 == 0x20 || $0 == 0x0A }) else { return }
        out.append(contentsOf: "\(base) \(entry.physicalSize) \(entry.values.count)\n".utf8)
        for (kind, value) in entry.values {
            out.append(contentsOf: "\(kind) \(value.count)\n".utf8)
            out.append(contentsOf: value)
        }
    }

    /// Moves a stored entry's values out of the file, for changing them.
    private mutating func takeStored(_ base: String) -> Entry? {
        guard let entry = file.withUnsafeBufferPointer({ stored.remove(base: base, in: $0) }) else { return nil }
        var values: [String: [UInt8]] = [:]
        file.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, index: entry.values.lowerBound)
            for _ in 0..<entry.valueCount {
                guard let (name, value) = reader.value() else { break }
                values[String(decoding: name, as: UTF8.self)] = Array(value)
            }
        }
        for (kind, value) in added.removeValue(forKey: base) ?? [:] { values[kind] = value }
        return Entry(physicalSize: entry.physicalSize, values: values)
    }

    /// Whether the file holds a value of `kind` for this stored entry.
    private func storedHas(_ entry: StoredEntry, kind: String) -> Bool {
        file.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer: buffer, index: entry.values.lowerBound)
            for _ in 0..<entry.valueCount {
                guard let (name, _) = reader.value() else { return false }
                if Self.isKind(name, kind) { return true }
            }
            return false
        }
    }

    private func storedEntry(_ base: String) -> StoredEntry? {
        file.withUnsafeBufferPointer { stored.entry(base: base, in: $0) }
    }

    /// Whether a value's kind, as the file has it, is `kind`: bytes compared at once (comparing
    /// `String.UTF8View`s element by element was 2–5 % of a cached FETCH's samples in perf).
    private static func isKind(_ name: UnsafeBufferPointer<UInt8>, _ kind: String) -> Bool {
        guard name.count == kind.utf8.count else { return false }
        return kind.utf8.withContiguousStorageIfAvailable { bytes in
            guard let a = name.baseAddress, let b = bytes.baseAddress else { return true }
            return memcmp(a, b, bytes.count) == 0
        } ?? name.elementsEqual(kind.utf8)
    }

    /// Reads the file in one pass, refusing anything out of bounds.
    private struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var index: Int

        /// Where each entry lies, up to the first damage (or `limit` bytes of values), and their value bytes.
        mutating func entries(limit: Int, expectedCount: Int) -> (StoredIndex, Int) {
            var result = StoredIndex(capacity: max(expectedCount, buffer.count / 512))
            var total = 0
            while index < buffer.count {
                let baseStart = index
                guard let base = word(until: UInt8(ascii: " ")), let size = number(until: UInt8(ascii: " ")),
                    let count = number(until: UInt8(ascii: "\n"))
                else { break }
                let start = index
                var entryBytes = 0
                var complete = true
                for _ in 0..<count {
                    guard let (_, value) = value() else {
                        complete = false
                        break
                    }
                    entryBytes += value.count
                }
                guard complete, total + entryBytes <= limit else { break }
                total += entryBytes
                let entry = StoredEntry(
                    base: baseStart..<baseStart + base.count,
                    physicalSize: size,
                    valueCount: count,
                    values: start..<index,
                    bytes: entryBytes
                )
                result.insert(entry, in: buffer)
            }
            return (result, total)
        }

        /// One `kind SP length LF bytes` value, or nil where the file is damaged.
        mutating func value() -> (kind: UnsafeBufferPointer<UInt8>, bytes: UnsafeBufferPointer<UInt8>)? {
            guard let kind = word(until: UInt8(ascii: " ")), let length = number(until: UInt8(ascii: "\n")),
                length <= buffer.count - index
            else { return nil }
            defer { index += length }
            return (kind, UnsafeBufferPointer(rebasing: buffer[index..<index + length]))
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
    }
}
