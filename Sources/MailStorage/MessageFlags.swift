/// The IMAP system flags a stored message carries (RFC 3501 §2.3.2).
///
/// A Maildir file name's letters (`MessageFlags+Maildir`), a bit field in the PostgreSQL store.
/// `\Recent` is not a stored flag: see the Maildir store's `MessageRecord.isRecent` and
/// `Mailbox.claimRecent()`.
public struct MessageFlags: OptionSet, Hashable, Sendable {
    /// The flag bits.
    public let rawValue: UInt8
    /// Flags from their bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `\Seen`, Maildir `S`.
    public static let seen = MessageFlags(rawValue: 1 << 0)
    /// `\Answered`, Maildir `R` (replied).
    public static let answered = MessageFlags(rawValue: 1 << 1)
    /// `\Flagged`, Maildir `F`.
    public static let flagged = MessageFlags(rawValue: 1 << 2)
    /// `\Deleted`, Maildir `T` (trashed).
    public static let deleted = MessageFlags(rawValue: 1 << 3)
    /// `\Draft`, Maildir `D`.
    public static let draft = MessageFlags(rawValue: 1 << 4)

    /// The IMAP spelling of each flag that is set, such as `\Seen`.
    public var imapNames: [String] {
        var names: [String] = []
        if contains(.answered) { names.append("\\Answered") }
        if contains(.flagged) { names.append("\\Flagged") }
        if contains(.deleted) { names.append("\\Deleted") }
        if contains(.seen) { names.append("\\Seen") }
        if contains(.draft) { names.append("\\Draft") }
        return names
    }

    /// The flag named by an IMAP system flag (case-insensitive), or nil for keywords and `\Recent`.
    public init?(imapName: String) {
        switch imapName.lowercased() {
        case "\\seen": self = .seen
        case "\\answered": self = .answered
        case "\\flagged": self = .flagged
        case "\\deleted": self = .deleted
        case "\\draft": self = .draft
        default: return nil
        }
    }
}

/// How a STORE combines the given flags with a message's own (RFC 3501 6.4.6).
public enum FlagOperation: Sendable {
    /// `+FLAGS`
    case add
    /// `-FLAGS`
    case remove
    /// `FLAGS`
    case replace
}
