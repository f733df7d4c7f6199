import struct Foundation.Date

/// A command as the client sent it: its tag and what it asks for (RFC 3501 §6, RFC 9051 §6).
public struct TaggedCommand: Sendable, Equatable {
    /// The client's tag, echoed in the tagged response.
    public var tag: String
    /// What the command asks for.
    public var command: IMAPCommand

    /// A command with its tag.
    public init(tag: String, command: IMAPCommand) {
        self.tag = tag
        self.command = command
    }
}

/// Every command the server understands, parsed; names follow the RFC command names.
public enum IMAPCommand: Sendable, Equatable {
    // Any state (RFC 3501 §6.1)
    case capability
    case noop
    case logout
    case id([IDParameter]?)
    // Not authenticated (§6.2)
    case startTLS
    case login(username: String, password: String)
    /// `AUTHENTICATE mech [initial-response]` (RFC 4959 SASL-IR); the response is still base64.
    case authenticate(mechanism: String, initialResponse: String?)
    // Authenticated (§6.3)
    case enable([String])
    case select(IMAPMailboxName, condStore: Bool)
    case examine(IMAPMailboxName, condStore: Bool)
    case create(IMAPMailboxName)
    case delete(IMAPMailboxName)
    case rename(from: IMAPMailboxName, to: IMAPMailboxName)
    case subscribe(IMAPMailboxName)
    case unsubscribe(IMAPMailboxName)
    case list(ListCommand)
    case lsub(reference: IMAPMailboxName, pattern: String)
    case namespace
    case status(IMAPMailboxName, [StatusAttribute])
    case append(AppendCommand)
    case idle
    // Selected (§6.4)
    case check
    case close
    case unselect
    case expunge
    case uidExpunge(SequenceSet)
    case search(SearchCommand, uid: Bool)
    case fetch(SequenceSet, [FetchAttribute], changedSince: UInt64?, uid: Bool)
    case store(SequenceSet, StoreCommand, uid: Bool)
    case copy(SequenceSet, IMAPMailboxName, uid: Bool)
    case move(SequenceSet, IMAPMailboxName, uid: Bool)

    /// The command's name as the client would write it, for logs and `BAD` texts.
    public var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .id: "ID"
        case .startTLS: "STARTTLS"
        case .login: "LOGIN"
        case .authenticate: "AUTHENTICATE"
        case .enable: "ENABLE"
        case .select: "SELECT"
        case .examine: "EXAMINE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .rename: "RENAME"
        case .subscribe: "SUBSCRIBE"
        case .unsubscribe: "UNSUBSCRIBE"
        case .list: "LIST"
        case .lsub: "LSUB"
        case .namespace: "NAMESPACE"
        case .status: "STATUS"
        case .append: "APPEND"
        case .idle: "IDLE"
        case .check: "CHECK"
        case .close: "CLOSE"
        case .unselect: "UNSELECT"
        case .expunge: "EXPUNGE"
        case .uidExpunge: "UID EXPUNGE"
        case .search(_, let uid): uid ? "UID SEARCH" : "SEARCH"
        case .fetch(_, _, _, let uid): uid ? "UID FETCH" : "FETCH"
        case .store(_, _, let uid): uid ? "UID STORE" : "STORE"
        case .copy(_, _, let uid): uid ? "UID COPY" : "COPY"
        case .move(_, _, let uid): uid ? "UID MOVE" : "MOVE"
        }
    }
}

/// One `ID` field pair (RFC 2971); values may be NIL.
public struct IDParameter: Sendable, Equatable {
    /// The field name, such as `name` or `version`.
    public var key: String
    /// The field value; nil for NIL.
    public var value: String?
    /// A field pair.
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// A mailbox name, decoded from modified UTF-7 (RFC 3501 §5.1.3).
///
/// `INBOX` in any case is `INBOX`.
public struct IMAPMailboxName: Sendable, Hashable, CustomStringConvertible {
    /// The decoded name, hierarchy delimiter included; `INBOX` in its canonical case.
    public var name: String

    /// A name as decoded, with any case of `inbox` made `INBOX`.
    public init(_ name: String) {
        self.name = name.uppercased() == "INBOX" ? "INBOX" : name
    }

    /// Whether this is the INBOX (RFC 3501 §5.1: case-insensitive).
    public var isInbox: Bool { name == "INBOX" }
    /// The decoded name, for logs.
    public var description: String { name }
}

/// `LIST [(selection)] reference patterns [RETURN (options)]` (RFC 3501 §6.3.8, RFC 5258).
public struct ListCommand: Sendable, Equatable {
    /// A selection option of RFC 5258 §3.1: which mailboxes are listed.
    public enum SelectionOption: String, Sendable, Equatable {
        case subscribed = "SUBSCRIBED"
        case remote = "REMOTE"
        case recursiveMatch = "RECURSIVEMATCH"
        case specialUse = "SPECIAL-USE"
    }
    /// A return option of RFC 5258 §3.2 and RFC 5819: what each listed mailbox carries.
    public enum ReturnOption: Sendable, Equatable {
        case subscribed
        case children
        case specialUse
        case status([StatusAttribute])
    }
    /// The selection options, in the client's order.
    public var selection: [SelectionOption]
    /// The reference name the patterns are read against (RFC 3501 §6.3.8).
    public var reference: String
    /// The mailbox patterns, with `*` and `%` wildcards; several with RFC 5258.
    public var patterns: [String]
    /// The return options, in the client's order.
    public var returnOptions: [ReturnOption]

    /// A LIST with these parts.
    public init(
        selection: [SelectionOption] = [],
        reference: String,
        patterns: [String],
        returnOptions: [ReturnOption] = []
    ) {
        self.selection = selection
        self.reference = reference
        self.patterns = patterns
        self.returnOptions = returnOptions
    }
}

/// `status-att` (RFC 3501 §6.3.10, RFC 9051 adds SIZE, RFC 7162 HIGHESTMODSEQ).
public enum StatusAttribute: String, Sendable, Equatable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
    case size = "SIZE"
    case highestModSeq = "HIGHESTMODSEQ"
}

/// `APPEND mailbox [flags] [date-time] literal` (RFC 3501 §6.3.11); one message (no MULTIAPPEND).
public struct AppendCommand: Sendable, Equatable {
    /// The mailbox the message goes into.
    public var mailbox: IMAPMailboxName
    /// The flags the message is stored with.
    public var flags: [Flag]
    /// The internal date the client gave; nil means now.
    public var internalDate: Date?
    /// The message octets (empty when streamed to a file).
    public var message: [UInt8]
    /// For a large message: the id of the literal the framer streamed to a file (`message` is then empty).
    public var streamedLiteralID: UInt32?

    /// An APPEND of a message held in memory.
    public init(mailbox: IMAPMailboxName, flags: [Flag] = [], internalDate: Date? = nil, message: [UInt8]) {
        self.mailbox = mailbox
        self.flags = flags
        self.internalDate = internalDate
        self.message = message
    }
}

/// A message flag (RFC 3501 §2.3.2): a system flag (`\Seen`) or a keyword (`$Forwarded`).
///
/// System flags compare case-insensitively and are kept in their canonical spelling.
public struct Flag: Sendable, Hashable, CustomStringConvertible {
    /// The flag as spelled on the wire, system flags in their canonical case.
    public let rawValue: String

    /// `\Seen`: the message has been read.
    public static let seen = Flag(raw: "\\Seen")
    /// `\Answered`: the message has been answered.
    public static let answered = Flag(raw: "\\Answered")
    /// `\Flagged`: the message is marked for attention.
    public static let flagged = Flag(raw: "\\Flagged")
    /// `\Deleted`: the message goes at the next EXPUNGE.
    public static let deleted = Flag(raw: "\\Deleted")
    /// `\Draft`: the message is a draft.
    public static let draft = Flag(raw: "\\Draft")
    /// `\Recent`: first session to see the message; never stored by a client.
    public static let recent = Flag(raw: "\\Recent")
    /// The system flags a client may store (all but `\Recent`).
    public static let storable: [Flag] = [.answered, .flagged, .deleted, .seen, .draft]

    private init(raw: String) { rawValue = raw }

    /// A flag as the client spelled it; a system flag in any case is the canonical one.
    public init(_ string: String) {
        let system: [Flag] = [.seen, .answered, .flagged, .deleted, .draft, .recent]
        if string.hasPrefix("\\"), let known = system.first(where: { $0.rawValue.lowercased() == string.lowercased() })
        {
            self = known
        } else {
            rawValue = string
        }
    }

    /// Whether this is a system flag (starts with a backslash) rather than a keyword.
    public var isSystemFlag: Bool { rawValue.hasPrefix("\\") }
    /// The flag as spelled on the wire.
    public var description: String { rawValue }
}

/// `STORE set (+|-)FLAGS[.SILENT] flags` (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3).
public struct StoreCommand: Sendable, Equatable {
    /// How the flags are changed: FLAGS replaces, +FLAGS adds, -FLAGS removes.
    public enum Operation: Sendable, Equatable {
        case replace
        case add
        case remove
    }
    /// Whether the flags are replaced, added or removed.
    public var operation: Operation
    /// `.SILENT`: no untagged FETCH of the new flags.
    public var silent: Bool
    /// The flags and keywords to store.
    public var flags: [Flag]
    /// UNCHANGEDSINCE (RFC 7162 §3.1.3): only messages not changed after this mod-sequence change.
    public var unchangedSince: UInt64?

    /// A STORE with these parts.
    public init(operation: Operation, silent: Bool, flags: [Flag], unchangedSince: UInt64? = nil) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
        self.unchangedSince = unchangedSince
    }
}

/// `SEARCH [RETURN (…)] [CHARSET c] keys` (RFC 3501 §6.4.4, RFC 4731 ESEARCH).
public struct SearchCommand: Sendable, Equatable {
    /// A RETURN option of ESEARCH (RFC 4731 §3.1).
    public enum ReturnOption: String, Sendable, Equatable {
        case min = "MIN"
        case max = "MAX"
        case all = "ALL"
        case count = "COUNT"
    }
    /// The CHARSET the client named; nil when none.
    public var charset: String?
    /// The search criteria, as one key (several are an `.and`).
    public var key: SearchKey
    /// `nil` for a plain SEARCH; a list (possibly empty, meaning ALL) for ESEARCH's `RETURN (…)`.
    public var returnOptions: [ReturnOption]?

    /// A SEARCH with these parts.
    public init(charset: String? = nil, key: SearchKey, returnOptions: [ReturnOption]? = nil) {
        self.charset = charset
        self.key = key
        self.returnOptions = returnOptions
    }
}

/// `search-key` (RFC 3501 §6.4.4 and §9); a list of keys is their conjunction.
public indirect enum SearchKey: Sendable, Equatable {
    case all
    case and([SearchKey])
    case or(SearchKey, SearchKey)
    case not(SearchKey)
    case sequenceSet(SequenceSet)
    case uid(SequenceSet)
    case flag(Flag, set: Bool)
    case new
    case old
    case recent
    case header(field: String, value: String)
    case bcc(String)
    case body(String)
    case cc(String)
    case from(String)
    case subject(String)
    case text(String)
    case to(String)
    case before(SearchDate)
    case on(SearchDate)
    case since(SearchDate)
    case sentBefore(SearchDate)
    case sentOn(SearchDate)
    case sentSince(SearchDate)
    case larger(UInt64)
    case smaller(UInt64)
    case modSeq(UInt64)
}

/// A calendar day in a SEARCH key (`date` of RFC 3501 §9): compared without time or zone.
public struct SearchDate: Sendable, Hashable, Comparable {
    /// The year, such as 2026.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, 1 to 31.
    public var day: Int

    /// A day of the calendar.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Whether `lhs` is an earlier day than `rhs`.
    public static func < (lhs: SearchDate, rhs: SearchDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
