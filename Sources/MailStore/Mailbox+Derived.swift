import Foundation
import MailCore

/// Bulk reading for IMAP's FETCH and SEARCH: many messages per call (one hop onto the mailbox's
/// queue instead of one or two per message), header sections served from the derived cache, and
/// values a server derives from content (an encoded BODYSTRUCTURE…) kept beside the Maildir.
extension Mailbox {
    /// The kind under which header sections are kept; the kinds callers give must differ from it.
    static let headerKind = "header"

    /// The header section (with its blank line, CRLF form) of each of `uids`, in order.
    ///
    /// Nil for a UID that is gone or whose file cannot be read. Read from the file once (the files
    /// the cache lacks side by side, `ParallelRead`), then from the cache.
    public func headerSections(uids: [UInt32]) -> [[UInt8]?] {
        readHeaderSections(uids: uids, keep: true)
    }

    /// The header sections of `uids`, kept in the cache when read from files only if `keep`.
    ///
    /// `async` as the requirement is, so that this, not the protocol's default, is the one called.
    public func headerSections(uids: [UInt32], keep: Bool) async -> [[UInt8]?] {
        readHeaderSections(uids: uids, keep: keep)
    }

    private func readHeaderSections(uids: [UInt32], keep: Bool) -> [[UInt8]?] {
        noteActivity()
        guard let current = try? loadedFolder() else { return uids.map { _ in nil } }
        loadDerived(current)
        let keys = Self.derivedKeys(uids, in: current)
        var result = derived.values(keys, kind: Self.headerKind)
        let unread = keys.indices.compactMap { offset -> (offset: Int, record: MessageRecord)? in
            guard result[offset] == nil, keys[offset] != nil, let position = current.index(of: uids[offset]) else {
                return nil
            }
            return (offset, current.records[position])
        }
        let curPath = current.curPath
        let headers = ParallelRead.map(unread.map(\.record)) { try? MaildirFolder.readHeader($0, in: curPath) }
        for ((offset, _), header) in zip(unread, headers) {
            guard let header, let key = keys[offset] else { continue }
            if keep { derived.set(header, base: key.base, physicalSize: key.physicalSize, kind: Self.headerKind) }
            result[offset] = header
        }
        if keep { scheduleCacheWrite() }
        return result
    }

    /// The lines of the header fields called one of `names` (`MessageHeader.fieldLines`) of each of
    /// `uids`, in order (grouped by name: no reader of one field depends on where the others stand);
    /// nil as for `headerSections`.
    ///
    /// Each field's lines are kept in the derived cache the first time they are asked for, as Dovecot
    /// keeps the fields a client asked for: the next SEARCH on that field copies a few dozen bytes per
    /// message instead of scanning its whole header.
    public func headerFields(uids: [UInt32], named names: [String]) -> [[UInt8]?] {
        noteActivity()
        let kinds = names.compactMap(Self.fieldKind)
        guard kinds.count == names.count, let current = try? loadedFolder() else {
            return headerSections(uids: uids).map { header in
                header?.withUnsafeBufferPointer { MessageHeader.fieldLines(named: names, in: $0) }
            }
        }
        loadDerived(current)
        let keys = Self.derivedKeys(uids, in: current)
        var perName = kinds.map { derived.values(keys, kind: $0) }
        let missing = keys.indices.filter { index in keys[index] != nil && perName.contains { $0[index] == nil } }
        if !missing.isEmpty {
            // The headers these fields are cut from are not kept: a SEARCH SUBJECT would otherwise
            // leave every message's header in `correo-derived` (16 MB for the bench's 20,000 messages),
            // which the next process reads whole before its first answer from the file.
            for (offset, header) in zip(missing, readHeaderSections(uids: missing.map { uids[$0] }, keep: false)) {
                guard let header, let key = keys[offset] else { continue }
                header.withUnsafeBufferPointer { buffer in
                    for (position, name) in names.enumerated() where perName[position][offset] == nil {
                        let lines = MessageHeader.fieldLines(named: [name], in: buffer)
                        derived.set(lines, base: key.base, physicalSize: key.physicalSize, kind: kinds[position])
                        perName[position][offset] = lines
                    }
                }
            }
            scheduleCacheWrite()
        }
        if perName.count == 1 { return perName[0] }
        return keys.indices.map { index in
            var lines: [UInt8] = []
            for values in perName {
                guard let value = values[index] else { return nil }
                lines += value
            }
            return lines
        }
    }

    /// The fields whose lines are kept: those SEARCH's own keys name.
    ///
    /// SUBJECT, FROM, TO, CC, BCC, and Date for SENT*. Not any name a `HEADER` key gives: a client naming
    /// a thousand made-up fields would otherwise add a thousand empty values per message to the file.
    static let keptFields: Set<String> = ["subject", "from", "to", "cc", "bcc", "date"]

    /// The derived kind under which a field's lines are kept: `field:` and its name in lower case; nil
    /// for a field not kept (then its lines are cut from the header each time).
    static func fieldKind(_ name: String) -> String? {
        let lowered = name.lowercased()
        return keptFields.contains(lowered) ? "field:" + lowered : nil
    }

    /// The values of `kind` stored for `uids` (nil where none is known for the file as it is now).
    public func derivedValues(uids: [UInt32], kind: String) -> [[UInt8]?] {
        noteActivity()
        guard let current = try? loadedFolder() else { return uids.map { _ in nil } }
        loadDerived(current)
        return derived.values(Self.derivedKeys(uids, in: current), kind: kind)
    }

    /// What the derived cache knows each message by (nil for a UID that is gone); read field by
    /// field so that no whole record is copied per message.
    private static func derivedKeys(_ uids: [UInt32], in folder: MaildirFolder) -> [DerivedCache.Key?] {
        uids.map { uid in
            folder.index(of: uid).map {
                DerivedCache.Key(base: folder.records[$0].base, physicalSize: folder.records[$0].physicalSize)
            }
        }
    }

    /// Keeps values computed from messages' content beside the Maildir, for `derivedValues`.
    ///
    /// `kind` is a short word without spaces. Values for UIDs that are gone
    /// are dropped.
    public func storeDerivedValues(_ values: [(uid: UInt32, value: [UInt8])], kind: String) {
        guard Self.isValidKind(kind), let current = try? loadedFolder() else { return }
        loadDerived(current)
        for (uid, value) in values {
            guard let position = current.index(of: uid) else { continue }
            let record = current.records[position]
            derived.set(value, base: record.base, physicalSize: record.physicalSize, kind: kind)
        }
        scheduleCacheWrite()
    }

    /// The records and the run's whole messages in one call on the mailbox's queue.
    ///
    /// Declared `async` as the requirement is, so that it, not the protocol's default, is the one called.
    public func messages(
        uids: [UInt32],
        withInternalDates: Bool,
        readingWhole run: WholeMessageRun
    ) async throws -> (records: [MailboxMessage?], contents: [UInt32: [UInt8]]) {
        let records = try lookUp(uids: uids, withInternalDates: withInternalDates)
        let read = Array(uids.prefix(run.end(in: records)))
        let contents = WholeMessageRun.byUID(read, readMessages(uids: read))
        // A client reading bodies one at a time: its next ones can be answered off the queue.
        if uids.count == 1 { publishForReading() }
        return (records, contents)
    }

    /// The whole messages (CRLF form) of `uids`, in order; nil for a UID that is gone or unreadable.
    ///
    /// Read side by side (`ParallelRead`).
    public func readMessages(uids: [UInt32]) -> [[UInt8]?] {
        noteActivity()
        guard let current = try? loadedFolder() else { return uids.map { _ in nil } }
        noteWholeReads(uids, in: current)
        let records = uids.map { uid in current.index(of: uid).map { current.records[$0] } }
        let curPath = current.curPath
        return ParallelRead.map(records) { record in record.flatMap { try? MaildirFolder.read($0, in: curPath) } }
    }

    /// What a session needs to bring its view up to date, or nil records when nothing was published
    /// since `changeCount` `known` and no new message waits to be claimed as `\Recent`.
    public func pendingChanges(
        since known: UInt64?
    ) -> (changeCount: UInt64, records: [MessageRecord]?, recent: Set<UInt32>) {
        if let known, known == changeCount, folder?.unclaimedRecent.isEmpty ?? true {
            return (changeCount, nil, [])
        }
        return (changeCount, snapshot(), claimRecent())
    }

    static func isValidKind(_ kind: String) -> Bool {
        !kind.isEmpty && kind != headerKind && kind.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    private func loadDerived(_ current: MaildirFolder) {
        if !derived.loaded { derived.load(uidValidity: current.uidValidity, expectedCount: current.records.count) }
    }
}
