import Foundation

/// Derived per-message facts kept in `correo-cache` beside the Maildir.
///
/// With them, opening a big folder neither stats nor reads its files. Delete it and it is rebuilt: sizes come from
/// `,S=`/`,W=` in names, the date from one stat (the mtime); only files without those sizes are read once.
///
/// Format: a header `correo-cache 2 V<uidvalidity>`, then one line per message:
/// `base TAB fileName TAB size TAB crlfSize TAB internalDate TAB modSeq TAB headerLength(-1 unknown)`.
/// A line whose fileName differs from the file on disk keeps its sizes but not its modseq.
struct MetadataCache {
    static let fileName = "correo-cache"
    /// Version 2 takes internalDate from the file's mtime (version 1 took the name's seconds):
    /// a cache of another version is ignored and rebuilt.
    static let version = 2

    struct Entry: Equatable {
        var fileName: String
        var size: Int
        var crlfSize: Int
        var internalDate: Int
        var modSeq: UInt64
        var headerLength: Int
    }

    let path: String
    var entries: [String: Entry] = [:]

    init(folder: String) {
        path = folder + "/" + Self.fileName
    }

    /// Loads the cache if it belongs to this UIDVALIDITY; a missing or unreadable cache is empty.
    mutating func load(uidValidity: UInt32) {
        guard let bytes = try? POSIX.readFile(path) else { return }
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        guard let header = lines.first,
            String(decoding: header, as: UTF8.self) == "correo-cache \(Self.version) V\(uidValidity)"
        else { return }
        for line in lines.dropFirst() {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            guard fields.count == 7, let size = Int(fields[2]), let crlfSize = Int(fields[3]),
                let date = Int(fields[4]), let modSeq = UInt64(fields[5]), let headerLength = Int(fields[6])
            else { continue }
            entries[fields[0]] = Entry(
                fileName: fields[1],
                size: size,
                crlfSize: crlfSize,
                internalDate: date,
                modSeq: modSeq,
                headerLength: headerLength
            )
        }
    }

    /// Writes the cache atomically; not fsynced, since losing it only costs a rebuild.
    func save(uidValidity: UInt32) throws {
        var text = "correo-cache \(Self.version) V\(uidValidity)\n"
        for (base, entry) in entries {
            text += "\(base)\t\(entry.fileName)\t\(entry.size)\t\(entry.crlfSize)\t\(entry.internalDate)\t"
            text += "\(entry.modSeq)\t\(entry.headerLength)\n"
        }
        try POSIX.writeFileAtomically(path, Array(text.utf8), durable: false)
    }
}
