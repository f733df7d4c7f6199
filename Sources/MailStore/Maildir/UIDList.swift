import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The folder's UID map, in the file `correo-uidlist`.
///
/// It is modelled on Dovecot's dovecot-uidlist:
///
///     correo-uidlist 1 V<uidvalidity> N<nextuid> [M<highestmodseq>]
///     <uid> <base>
///     ...
///
/// Lines are keyed by the Maildir base name (before `:2,`), so flag renames keep the UID. New lines
/// are appended (and fsynced) under the folder lock; removals rewrite the file atomically. The
/// next UID is the larger of the header's N and the last line's UID + 1, so an append never needs a
/// header rewrite. RFC 3501 2.3.1.1: UIDs strictly ascend and are never reused. The optional M field is a
/// floor for HIGHESTMODSEQ, written by an import from another store whose HIGHESTMODSEQ was above every
/// message's (RFC 7162 3.1.2: it never goes down); readers that do not know it ignore it.
struct UIDList {
    static let fileName = "correo-uidlist"
    static let lockName = "correo-uidlist.lock"

    let path: String
    private(set) var uidValidity: UInt32
    private(set) var nextUID: UInt32
    /// The M field: HIGHESTMODSEQ is never below it (0 when the header has none).
    private(set) var modSeqFloor: UInt64 = 0
    /// base → UID; nil until first asked for after a read that kept the lines (`uids`).
    private var table: [String: UInt32]? = [:]
    /// The lines as the last read found them, in the file's order (ascending UIDs, as written), for
    /// a folder opened from its cache; emptied once the table is built from them.
    private(set) var linesAsRead: [(uid: UInt32, base: String)] = []

    /// base → UID (a base listed twice keeps its last line's UID).
    ///
    /// A folder opened from its cache after a restart takes its view from the lines and may never
    /// need the table: building it is a hashed insert of every message's name, which that first
    /// SELECT would otherwise wait for. So it is built when first asked for.
    var uids: [String: UInt32] {
        mutating get { indexed() }
    }

    /// The table, built from the lines read if it was not yet.
    private mutating func indexed() -> [String: UInt32] {
        if let table { return table }
        var map: [String: UInt32] = [:]
        map.reserveCapacity(linesAsRead.count)
        for (uid, base) in linesAsRead { map[base] = uid }
        table = map
        linesAsRead = []
        return map
    }
    /// Counts reads and changes of the list: a map taken lazily from it (`MaildirFolder.uidByBase`)
    /// is the one of a moment only while this has not moved.
    private(set) var generation = 0
    /// What the file looked like when last read or written, to notice other processes' changes.
    private var identity: FileIdentity?

    struct FileIdentity: Equatable {
        var inode: UInt64
        var size: Int64
        var modified: timespec

        static func == (a: FileIdentity, b: FileIdentity) -> Bool {
            a.inode == b.inode && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec
                && a.modified.tv_nsec == b.modified.tv_nsec
        }

        init?(path: String) {
            guard let info = POSIX.status(path) else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
        }
    }

    /// Reads the list, or creates it with `newValidity()` when the folder has none.
    ///
    /// Call under the lock.
    init(folder: String, newValidity: () throws -> UInt32) throws {
        path = folder + "/" + Self.fileName
        uidValidity = 0
        nextUID = 1
        if POSIX.fileExists(path) {
            do {
                try reload(keepingLines: true)
                return
            } catch MailStoreError.corruptFile {
                // The UIDs are lost; RFC 3501 2.3.1.1 asks for a new UIDVALIDITY so clients forget
                // theirs. The damaged file is kept aside for the operator.
                try POSIX.rename(path, path + ".corrupt-\(Int(Date().timeIntervalSince1970))")
                table = [:]
                linesAsRead = []
                nextUID = 1
            }
        }
        uidValidity = try newValidity()
        try rewrite()
    }

    /// Re-reads the file if another process changed it; returns whether it did.
    ///
    /// Call under the lock.
    @discardableResult
    mutating func refreshIfChanged() throws -> Bool {
        guard FileIdentity(path: path) != identity else { return false }
        try reload()
        return true
    }

    /// Reads the file; `keepingLines` keeps its lines in order and leaves the table to be built when
    /// asked for (only the first read of a folder being opened needs them).
    private mutating func reload(keepingLines: Bool = false) throws {
        let bytes = try POSIX.readFile(path)
        // A crash during an append can leave a last line without its newline: ignore it.
        let complete = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        // The header is the first line that is not empty.
        guard let headerStart = bytes[..<complete].firstIndex(where: { $0 != UInt8(ascii: "\n") }),
            let headerEnd = bytes[headerStart..<complete].firstIndex(of: UInt8(ascii: "\n"))
        else {
            throw MailStoreError.corruptFile(path: path, reason: "no header line")
        }
        let fields = String(decoding: bytes[headerStart..<headerEnd], as: UTF8.self).split(separator: " ")
        guard fields.count >= 4, fields[0] == "correo-uidlist", fields[2].hasPrefix("V"), fields[3].hasPrefix("N"),
            let validity = UInt32(fields[2].dropFirst()), let next = UInt32(fields[3].dropFirst())
        else { throw MailStoreError.corruptFile(path: path, reason: "bad header line") }
        uidValidity = validity
        modSeqFloor = fields.dropFirst(4).first { $0.hasPrefix("M") }.flatMap { UInt64($0.dropFirst()) } ?? 0
        var highest: UInt32 = 0
        var map: [String: UInt32] = [:]
        // About 60 bytes a line: a table grown as it fills would be rehashed a dozen times.
        if !keepingLines { map.reserveCapacity(complete / 48) }
        var inOrder: [(uid: UInt32, base: String)] = []
        if keepingLines { inOrder.reserveCapacity(complete / 48) }
        // One pass over the bytes, lines cut with memchr: a restarted server's first SELECT of a big
        // folder reads every line, and an array of line slices cost as much as the rest.
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = headerEnd + 1
            while start < complete {
                let end =
                    memchr(base + start, Int32(UInt8(ascii: "\n")), complete - start)
                    .map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? complete
                defer { start = end + 1 }
                let line = buffer[start..<end]
                guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                    let uid = DecimalDigits.integer(line[start..<space]).flatMap(UInt32.init(exactly:)), uid > 0
                else { continue }
                let name = String(decoding: UnsafeBufferPointer(rebasing: line[(space + 1)...]), as: UTF8.self)
                if keepingLines { inOrder.append((uid, name)) } else { map[name] = uid }
                highest = max(highest, uid)
            }
        }
        table = keepingLines ? nil : map
        linesAsRead = inOrder
        generation += 1
        nextUID = max(next, highest &+ 1 == 0 ? UInt32.max : highest + 1)
        identity = FileIdentity(path: path)
    }

    /// Gives each base the next UID, in order, and appends the lines durably.
    ///
    /// Call under the lock.
    mutating func assign(_ bases: [String], folderName: String) throws -> [UInt32] {
        guard !bases.isEmpty else { return [] }
        var uids = indexed()
        table = nil  // not shared while it grows
        defer { table = uids }
        generation += 1
        guard UInt64(nextUID) + UInt64(bases.count) <= UInt64(UInt32.max) else {
            throw MailStoreError.uidsExhausted(folderName)
        }
        // Bytes, not a String grown line by line: a folder's first scan appends every file's line.
        var text: [UInt8] = []
        text.reserveCapacity(bases.count * 64)
        var assigned: [UInt32] = []
        assigned.reserveCapacity(bases.count)
        uids.reserveCapacity(uids.count + bases.count)
        for base in bases {
            uids[base] = nextUID
            assigned.append(nextUID)
            DecimalDigits.append(nextUID, to: &text)
            text.append(UInt8(ascii: " "))
            text.append(contentsOf: base.utf8)
            text.append(UInt8(ascii: "\n"))
            nextUID += 1
        }
        let fd = try POSIX.open(path, O_WRONLY | O_APPEND)
        defer { close(fd) }
        try POSIX.writeAll(fd, text, path: path)
        try POSIX.fsync(fd, path: path)
        identity = FileIdentity(path: path)
        return assigned
    }

    /// Drops bases whose files are gone and rewrites the file.
    ///
    /// Call under the lock.
    mutating func remove(_ bases: some Sequence<String>) throws {
        var uids = indexed()
        table = nil  // not shared while it shrinks
        generation += 1
        var changed = false
        for base in bases where uids.removeValue(forKey: base) != nil { changed = true }
        table = uids
        if changed { try rewrite() }
    }

    /// Writes the whole list atomically and durably.
    private mutating func rewrite() throws {
        let uids = indexed()
        try Self.write(path, uidValidity: uidValidity, nextUID: nextUID, modSeqFloor: modSeqFloor, uids: uids)
        identity = FileIdentity(path: path)
    }

    /// Writes a whole list (base → UID) to `path` atomically and durably: a rewrite, or the first list
    /// of a folder imported with its UIDs (`MaildirFolderImport`).
    static func write(
        _ path: String,
        uidValidity: UInt32,
        nextUID: UInt32,
        modSeqFloor: UInt64 = 0,
        uids: [String: UInt32]
    ) throws {
        var text = "correo-uidlist 1 V\(uidValidity) N\(nextUID)" + (modSeqFloor > 0 ? " M\(modSeqFloor)\n" : "\n")
        for (base, uid) in uids.sorted(by: { $0.value < $1.value }) { text += "\(uid) \(base)\n" }
        try POSIX.writeFileAtomically(path, Array(text.utf8), durable: true)
    }
}
