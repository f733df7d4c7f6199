/// The shared namespace `#news.` (RFC 2342 §5): every newsgroup of the store, shown to every logged-in
/// user as `#news.` followed by the group's name, such as `#news.comp.lang.swift`.
///
/// Inside the namespace the hierarchy delimiter is ".", the newsgroup's own level separator, so a
/// group's levels are IMAP levels too; the personal namespace keeps "/". Names that start with `#news`
/// are reserved: no personal folder may take one, so a subscription to `#news.a.b` (stored as the
/// levels `#news`, `a`, `b`) can never be confused with a personal folder.
public enum NewsNamespace {
    /// The namespace prefix of NAMESPACE.
    public static let prefix = "#news."
    /// The namespace's hierarchy delimiter, as NAMESPACE and LIST show it.
    public static let delimiter = "."
    /// The namespace's root, a `\Noselect` level of its own in LIST.
    static let root = "#news"

    /// Whether `name` lies in the reserved `#news` space (including `#news` itself and any name a
    /// personal folder could collide with, such as `#news/x`).
    static func isReserved(_ name: IMAPMailboxName) -> Bool {
        name.name.hasPrefix(root)
    }

    /// The newsgroup `name` names (`#news.comp.lang` → `comp.lang`; one trailing "." allowed as in
    /// CREATE), or nil if it is not a group's name in the namespace.
    static func group(_ name: IMAPMailboxName) -> String? {
        guard name.name.hasPrefix(prefix) else { return nil }
        var group = String(name.name.dropFirst(prefix.count))
        if group.hasSuffix(delimiter) { group.removeLast() }
        return group.isEmpty ? nil : group
    }

    /// The IMAP name of a group.
    static func imapName(group: String) -> IMAPMailboxName {
        IMAPMailboxName(prefix + group)
    }

    /// The levels a subscription to `group` is remembered under in the user's subscription list.
    static func subscriptionLevels(group: String) -> [String] {
        [root] + group.split(separator: ".").map(String.init)
    }

    /// The group a remembered subscription is for, or nil if it is a personal folder's.
    static func group(subscriptionLevels levels: [String]) -> String? {
        guard levels.count > 1, levels[0] == root else { return nil }
        return levels.dropFirst().joined(separator: ".")
    }

    /// One name LIST can show in the namespace.
    struct Entry: Equatable {
        /// The IMAP name.
        var name: IMAPMailboxName
        /// The group it opens, or nil for a level that only holds groups (`\Noselect`).
        var group: String?
        /// Whether groups lie below it.
        var hasChildren: Bool
    }

    /// Every name of the namespace for these groups: each group, and each level above a group that is
    /// not a group itself (the root `#news` included) as a `\Noselect` parent, sorted by name.
    ///
    /// RFC 3501 §6.3.8 has a server show such levels so that a `%` walk of the hierarchy finds the groups.
    static func entries(groups: [String]) -> [Entry] {
        guard !groups.isEmpty else { return [] }
        let groupSet = Set(groups)
        var parents: Set<String> = []
        for group in groups {
            var levels = group.split(separator: ".").map(String.init)
            while levels.count > 1 {
                levels.removeLast()
                parents.insert(levels.joined(separator: "."))
            }
        }
        var entries = [Entry(name: IMAPMailboxName(root), group: nil, hasChildren: true)]
        for name in groupSet.union(parents).sorted() {
            entries.append(
                Entry(
                    name: imapName(group: name),
                    group: groupSet.contains(name) ? name : nil,
                    hasChildren: parents.contains(name)
                )
            )
        }
        return entries
    }
}
