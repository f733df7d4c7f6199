import Foundation

/// One message of a mailbox as the IMAP server sees it.
public struct MessageRecord: Hashable, Sendable {
    /// RFC 3501 2.3.1.1: unique in the folder for this UIDVALIDITY, never reused.
    public var uid: UInt32
    /// The system flags (RFC 3501 2.3.2).
    public var flags: MessageFlags
    /// RFC 3501 2.3.2 keywords, as they were first spelled in this folder.
    public var keywords: [String]
    /// RFC822.SIZE: the size with CRLF line ends (bytes + bare LFs for files written with LF).
    public var size: Int
    /// The file's own size on disk.
    public var physicalSize: Int
    /// RFC 3501 2.3.3: when the message arrived (or the date APPEND gave); nil until a reader asks
    /// for it (`Mailbox.messages(uids:withInternalDates:)`), as a folder's first scan reads no dates.
    public var internalDate: Date?
    /// RFC 7162 mod-sequence of the last change to this message.
    public var modSeq: UInt64
    /// The file's current name in cur/ (changes with its flags).
    public var fileName: String
    /// Whether this process moved the file out of new/ (see `Mailbox.claimRecent()` for `\Recent`).
    public var isRecent: Bool
    /// The Maildir base name (before `:2,`), the message's identity in the uidlist.
    var base: String

    /// A record as the store makes them; public so other targets' tests can build fixtures.
    public init(
        uid: UInt32,
        flags: MessageFlags = [],
        keywords: [String] = [],
        size: Int,
        physicalSize: Int? = nil,
        internalDate: Date?,
        modSeq: UInt64 = 1,
        fileName: String,
        isRecent: Bool = false
    ) {
        self.uid = uid
        self.flags = flags
        self.keywords = keywords
        self.size = size
        self.physicalSize = physicalSize ?? size
        self.internalDate = internalDate
        self.modSeq = modSeq
        self.fileName = fileName
        self.isRecent = isRecent
        self.base = MaildirFileName.base(of: fileName)
    }

    /// A record whose base the caller already holds (a folder opening thousands of records shares the
    /// uidlist's strings instead of cutting each file name again).
    init(
        uid: UInt32,
        flags: MessageFlags,
        keywords: [String],
        size: Int,
        physicalSize: Int,
        internalDate: Date?,
        modSeq: UInt64,
        fileName: String,
        base: String
    ) {
        self.uid = uid
        self.flags = flags
        self.keywords = keywords
        self.size = size
        self.physicalSize = physicalSize
        self.internalDate = internalDate
        self.modSeq = modSeq
        self.fileName = fileName
        self.isRecent = false
        self.base = base
    }

    /// Whether reading this message needs bare LFs turned into CRLF.
    public var needsCRLFConversion: Bool { size != physicalSize }
}

/// What changed in a mailbox since the last look: the input of IMAP's untagged EXISTS, EXPUNGE and
/// FETCH FLAGS responses.
public struct MailboxChanges: Hashable, Sendable {
    /// Messages new to this view, in UID order.
    public var appended: [MessageRecord] = []
    /// UIDs that are gone, ascending.
    public var expunged: [UInt32] = []
    /// Messages whose flags or keywords changed, with their new state.
    public var flagsChanged: [MessageRecord] = []
    /// UIDNEXT after these changes.
    public var uidNext: UInt32 = 1
    /// HIGHESTMODSEQ after these changes.
    public var highestModSeq: UInt64 = 0

    /// No changes.
    public init() {}

    /// Whether nothing changed.
    public var isEmpty: Bool { appended.isEmpty && expunged.isEmpty && flagsChanged.isEmpty }
}

extension MailboxChanges {
    /// What a session must announce to move its view from `old` to `new` (both sorted by UID, as
    /// `Mailbox.snapshot()` gives them): a session can keep its last snapshot, treat `changes()`
    /// events as a wake-up, and diff — so its own and others' changes are each reported once.
    public static func difference(from old: [MessageRecord], to new: [MessageRecord]) -> MailboxChanges {
        var changes = MailboxChanges()
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].uid < new[j].uid) {
                changes.expunged.append(old[i].uid)
                i += 1
            } else if i == old.count || new[j].uid < old[i].uid {
                changes.appended.append(new[j])
                j += 1
            } else {
                if old[i].flags != new[j].flags || old[i].keywords != new[j].keywords {
                    changes.flagsChanged.append(new[j])
                }
                i += 1
                j += 1
            }
        }
        changes.uidNext = max((new.last?.uid ?? 0) + 1, (old.last?.uid ?? 0) + 1)
        changes.highestModSeq = max(new.map(\.modSeq).max() ?? 0, old.map(\.modSeq).max() ?? 0)
        return changes
    }
}
