import MailStore

/// A mailbox brought from another store (`correo migrate`) with the counters its clients already know,
/// so that they keep their caches: the same UIDVALIDITY, a UIDNEXT and a HIGHESTMODSEQ never below the
/// old ones (RFC 3501 2.3.1.1, RFC 7162 3.1.2.1).
public struct ImportedMailbox: Sendable, Hashable {
    /// The folder's name.
    public var name: MailboxName
    /// RFC 3501 2.3.1.1 UIDVALIDITY, kept.
    public var uidValidity: UInt32
    /// RFC 3501 2.3.1.1 UIDNEXT; raised above every imported UID if it was not already.
    public var uidNext: UInt32
    /// RFC 7162 HIGHESTMODSEQ; raised to every imported message's mod-sequence if it was not already.
    public var highestModSeq: UInt64
    /// The RFC 6154 attribute, if any.
    public var specialUse: SpecialUse?
    /// RFC 3501 6.3.6: whether the user subscribed to it.
    public var subscribed: Bool

    /// A mailbox to import.
    public init(
        name: MailboxName,
        uidValidity: UInt32,
        uidNext: UInt32,
        highestModSeq: UInt64,
        specialUse: SpecialUse?,
        subscribed: Bool
    ) {
        self.name = name
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.highestModSeq = highestModSeq
        self.specialUse = specialUse
        self.subscribed = subscribed
    }
}
