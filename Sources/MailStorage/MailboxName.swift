import Foundation

/// A mailbox name as a list of hierarchy components, or INBOX.
///
/// For example `["Projects", "2026"]`.
///
/// Every backend must be able to store it: the Maildir one keeps it as a Maildir++ folder
/// (`.Projects.2026`), so "." is the on-disk delimiter and cannot appear inside a component; the IMAP
/// layer chooses the delimiter it shows ("/" or ".") and does the modified UTF-7 conversion (RFC 3501
/// 5.1.3). Names are UTF-8 here.
public struct MailboxName: Hashable, Sendable, CustomStringConvertible {
    /// The components, outermost first.
    ///
    /// INBOX is `["INBOX"]` whatever case it was given in.
    public let components: [String]

    /// RFC 3501 5.1: INBOX, case-insensitive.
    public static let inbox = MailboxName(validated: ["INBOX"])

    /// Components already checked (a part of a valid name, INBOX); for the backends' own conversions.
    package init(validated components: [String]) {
        self.components = components
    }

    /// A name from its components, each checked to be storable as a Maildir++ folder.
    ///
    /// Validates `components`: none empty, none `.`/`..`, no "/" or "." inside one, no NUL or other
    /// control bytes, bounded lengths and depth. A first component "inbox" in any case is INBOX.
    public init(_ components: [String]) throws {
        let shown = components.joined(separator: "/")
        func refuse(_ reason: String) -> MailStoreError { .invalidMailboxName(shown, reason: reason) }
        guard !components.isEmpty else { throw refuse("it is empty") }
        guard components.count <= MailStorageLimits.maximumMailboxDepth else {
            throw refuse("more than \(MailStorageLimits.maximumMailboxDepth) levels")
        }
        var total = 0
        for component in components {
            let bytes = Array(component.utf8)
            guard !bytes.isEmpty else { throw refuse("a level of the name is empty") }
            guard component != ".." && component != "." else { throw refuse("'..' and '.' are not names") }
            guard bytes.count <= MailStorageLimits.maximumMailboxComponentBytes else {
                throw refuse("a level is longer than \(MailStorageLimits.maximumMailboxComponentBytes) bytes")
            }
            if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw refuse("it contains control characters")
            }
            if bytes.contains(UInt8(ascii: "/")) { throw refuse("'/' cannot appear inside a level") }
            if bytes.contains(UInt8(ascii: ".")) { throw refuse("'.' is the folder separator on disk") }
            total += bytes.count + 1
        }
        guard total <= MailStorageLimits.maximumMailboxNameBytes else {
            throw refuse("longer than \(MailStorageLimits.maximumMailboxNameBytes) bytes")
        }
        var normalized = components
        if normalized[0].uppercased() == "INBOX" { normalized[0] = "INBOX" }
        self.components = normalized
    }

    /// Splits `path` at `delimiter` and validates the parts, as in `MailboxName(path: "A/B", delimiter: "/")`.
    public init(path: String, delimiter: Character = "/") throws {
        try self.init(path.split(separator: delimiter, omittingEmptySubsequences: false).map(String.init))
    }

    /// True for INBOX itself (not its children).
    public var isInbox: Bool { components == ["INBOX"] }

    /// The parent mailbox, or nil at the top.
    public var parent: MailboxName? {
        components.count > 1 ? MailboxName(validated: Array(components.dropLast())) : nil
    }

    /// Whether `self` is `other` or lies below it.
    public func isSelfOrDescendant(of other: MailboxName) -> Bool {
        components.count >= other.components.count
            && Array(components.prefix(other.components.count)) == other.components
    }

    /// The name with `/` between levels, for messages and logs.
    public var description: String { components.joined(separator: "/") }

    /// Replaces the leading `old` components with `new` (for renames that move children along).
    package func replacingPrefix(_ old: MailboxName, with new: MailboxName) -> MailboxName {
        MailboxName(validated: new.components + components.dropFirst(old.components.count))
    }
}
