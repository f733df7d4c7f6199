import Foundation

/// Opening a folder from `correo-cache` and `correo-uidlist` without listing cur/, and the view's
/// base → UID map built only when something asks for it.
extension MaildirFolder {
    /// Takes the view from the cache and the uidlist, without listing cur/, when the cache describes
    /// the folder as it still is.
    ///
    /// That is when the times of new/, cur/ and the uidlist are those of the scan the cache
    /// describes, and that stamp was old enough to be trusted. Anything else is left to the scan: a
    /// moved time, a uidlist entry the cache does not describe, a cache from another program.
    ///
    /// Dovecot's Maildir index does the same with its directories' times: on a big folder the
    /// listing of cur/ (read from disk after a restart) and a table of all its names are most of the
    /// cost of the first SELECT.
    mutating func openFromCache() {
        guard let persisted = cache.stamp, persisted == currentStamp() else { return }
        let lines = uidList.linesAsRead
        guard let opened = Self.records(lines, besideCached: cache.linesAsRead, keywordList) ?? recordsFromTables()
        else { return }
        records = opened
        viewUIDsPending = (uidList.generation, lines)
        stamp = persisted
        stampTrusted = true
    }

    /// The view taken from the two files line beside line, when the cache lists the uidlist's messages
    /// in the uidlist's order.
    ///
    /// That is the order `MetadataCache.save` writes. No table of either file is built, and the records
    /// are made in two halves side by side. Nil when the lines do not pair up (an older cache, a
    /// uidlist edited by hand), when UIDs do not ascend, or when an entry does not describe its file yet.
    ///
    /// A base listed twice in both files, line for line, would give two records: it would take both
    /// files damaged alike, and the stamp (the uidlist's time among them) changes with any edit.
    private static func records(
        _ lines: [(uid: UInt32, base: String)],
        besideCached cached: [MetadataCache.Entry],
        _ keywordList: KeywordList
    ) -> [MessageRecord]? {
        guard !lines.isEmpty, cached.count >= lines.count else { return nil }
        let parts = lines.count >= MailStoreDefaults.sideBySideOpenThreshold ? 2 : 1
        let size = (lines.count + parts - 1) / parts
        let halves = SideBySide.map(parts: parts) { part -> [MessageRecord]? in
            let range = (part * size)..<min(lines.count, (part + 1) * size)
            var previous = range.lowerBound == 0 ? 0 : lines[range.lowerBound - 1].uid
            var made: [MessageRecord] = []
            made.reserveCapacity(range.count)
            for index in range {
                let (uid, base) = lines[index]
                let entry = cached[index]
                guard uid > previous, MaildirFileName.hasBase(base, entry.fileName), entry.modSeq != 0 else {
                    return nil
                }
                previous = uid
                made.append(record(uid: uid, base: base, entry: entry, keywordList))
            }
            return made
        }
        guard var opened = halves[0] else { return nil }
        for half in halves.dropFirst() {
            guard let half else { return nil }
            opened.append(contentsOf: half)
        }
        return opened
    }

    /// The view through the tables of both files: for a cache written in another order, or a uidlist
    /// whose lines do not ascend or list a base twice (the map keeps the last).
    private mutating func recordsFromTables() -> [MessageRecord]? {
        let lines = uidList.linesAsRead
        let uids = uidList.uids
        // The file's lines ascend by UID as written; a list with a base twice is taken from the map.
        let ordered = lines.count == uids.count ? lines : uids.map { (uid: $0.value, base: $0.key) }
        let entries = cache.entries
        var opened: [MessageRecord] = []
        opened.reserveCapacity(ordered.count)
        var ascending = true
        for (uid, base) in ordered {
            if let last = opened.last, last.uid >= uid { ascending = false }
            guard let entry = entries[base], entry.modSeq != 0, !entry.fileName.isEmpty else { return nil }
            opened.append(record(uid: uid, base: base, entry: entry))
        }
        if !ascending { opened.sort { $0.uid < $1.uid } }
        return opened
    }

    /// The view's base → UID map.
    var uidByBase: [String: UInt32] {
        mutating get {
            takePendingUIDs()
            return viewUIDs
        }
        _modify {
            takePendingUIDs()
            yield &viewUIDs
        }
        set {
            viewUIDsPending = nil
            viewUIDs = newValue
        }
    }

    /// Builds the map of a view opened from the cache: the uidlist's own table (shared, not copied)
    /// while the list has not changed since, else one from the lines it had then.
    private mutating func takePendingUIDs() {
        guard let pending = viewUIDsPending else { return }
        viewUIDsPending = nil
        if pending.generation == uidList.generation {
            viewUIDs = uidList.uids
        } else {
            viewUIDs = Dictionary(pending.lines.map { ($0.base, $0.uid) }, uniquingKeysWith: { $1 })
        }
    }
}
