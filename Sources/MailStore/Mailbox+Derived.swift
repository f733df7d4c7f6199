import Foundation

/// Bulk reading for IMAP's FETCH and SEARCH: many messages per call (one hop onto the mailbox's
/// queue instead of one or two per message), header sections served from the derived cache, and
/// values a server derives from content (an encoded BODYSTRUCTURE…) kept beside the Maildir.
extension Mailbox {
    /// The kind under which header sections are kept; the kinds callers give must differ from it.
    static let headerKind = "header"

    /// The header section (with its blank line, CRLF form) of each of `uids`, in order.
    ///
    /// Nil for a UID that is gone or whose file cannot be read. Read from the file once, then from
    /// the cache.
    public func headerSections(uids: [UInt32]) -> [[UInt8]?] {
        guard let current = try? loadedFolder() else { return uids.map { _ in nil } }
        loadDerived(current)
        let keys = Self.derivedKeys(uids, in: current)
        var result = derived.values(keys, kind: Self.headerKind)
        for (offset, key) in keys.enumerated() where result[offset] == nil {
            guard let key, let position = current.index(of: uids[offset]),
                let header = try? current.readHeader(current.records[position])
            else { continue }
            derived.set(header, base: key.base, physicalSize: key.physicalSize, kind: Self.headerKind)
            result[offset] = header
        }
        scheduleCacheWrite()
        return result
    }

    /// The values of `kind` stored for `uids` (nil where none is known for the file as it is now).
    public func derivedValues(uids: [UInt32], kind: String) -> [[UInt8]?] {
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

    /// The whole messages (CRLF form) of `uids`, in order; nil for a UID that is gone or unreadable.
    public func readMessages(uids: [UInt32]) -> [[UInt8]?] {
        guard let current = try? loadedFolder() else { return uids.map { _ in nil } }
        return uids.map { try? current.read(uid: $0) }
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
        if !derived.loaded { derived.load(uidValidity: current.uidValidity) }
    }
}
