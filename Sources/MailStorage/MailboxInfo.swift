/// RFC 6154 special-use attributes of the folders made for every user.
public enum SpecialUse: String, Sendable, CaseIterable {
    case sent = "\\Sent"
    case drafts = "\\Drafts"
    case trash = "\\Trash"
    case junk = "\\Junk"
    case archive = "\\Archive"
}

/// One line of a mailbox listing.
public struct MailboxInfo: Hashable, Sendable {
    /// The mailbox.
    public var name: MailboxName
    /// The RFC 6154 attribute for the special folders, nil otherwise.
    public var specialUse: SpecialUse?
    /// RFC 3348: whether any mailbox lies below this one.
    public var hasChildren: Bool
    /// RFC 3501 6.3.6: whether the user subscribed to it.
    public var subscribed: Bool

    /// A listing line.
    public init(name: MailboxName, specialUse: SpecialUse?, hasChildren: Bool, subscribed: Bool) {
        self.name = name
        self.specialUse = specialUse
        self.hasChildren = hasChildren
        self.subscribed = subscribed
    }
}
