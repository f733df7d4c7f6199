import struct Foundation.Date

/// A command as the client sent it: its tag and what it asks for (RFC 3501 §6, RFC 9051 §6).
public struct TaggedCommand: Sendable, Equatable {
    public var tag: String
    public var command: IMAPCommand

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
    public var key: String
    public var value: String?
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// A mailbox name, decoded from modified UTF-7 (RFC 3501 §5.1.3). `INBOX` in any case is `INBOX`.
public struct IMAPMailboxName: Sendable, Hashable, CustomStringConvertible {
    public var name: String

    public init(_ name: String) {
        self.name = name.uppercased() == "INBOX" ? "INBOX" : name
    }

    public var isInbox: Bool { name == "INBOX" }
    public var description: String { name }
}

/// `LIST [(selection)] reference patterns [RETURN (options)]` (RFC 3501 §6.3.8, RFC 5258).
public struct ListCommand: Sendable, Equatable {
    public enum SelectionOption: String, Sendable, Equatable {
        case subscribed = "SUBSCRIBED"
        case remote = "REMOTE"
        case recursiveMatch = "RECURSIVEMATCH"
        case specialUse = "SPECIAL-USE"
    }
    public enum ReturnOption: Sendable, Equatable {
        case subscribed
        case children
        case specialUse
        case status([StatusAttribute])
    }
    public var selection: [SelectionOption]
    public var reference: String
    public var patterns: [String]
    public var returnOptions: [ReturnOption]

    public init(
        selection: [SelectionOption] = [], reference: String, patterns: [String],
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
    public var mailbox: IMAPMailboxName
    public var flags: [Flag]
    public var internalDate: Date?
    public var message: [UInt8]

    public init(mailbox: IMAPMailboxName, flags: [Flag] = [], internalDate: Date? = nil, message: [UInt8]) {
        self.mailbox = mailbox
        self.flags = flags
        self.internalDate = internalDate
        self.message = message
    }
}

/// A message flag (RFC 3501 §2.3.2): a system flag (`\Seen`) or a keyword (`$Forwarded`).
/// System flags compare case-insensitively and are kept in their canonical spelling.
public struct Flag: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public static let seen = Flag(raw: "\\Seen")
    public static let answered = Flag(raw: "\\Answered")
    public static let flagged = Flag(raw: "\\Flagged")
    public static let deleted = Flag(raw: "\\Deleted")
    public static let draft = Flag(raw: "\\Draft")
    public static let recent = Flag(raw: "\\Recent")
    /// The system flags a client may store (all but `\Recent`).
    public static let storable: [Flag] = [.answered, .flagged, .deleted, .seen, .draft]

    private init(raw: String) { rawValue = raw }

    public init(_ string: String) {
        let system: [Flag] = [.seen, .answered, .flagged, .deleted, .draft, .recent]
        if string.hasPrefix("\\"), let known = system.first(where: { $0.rawValue.lowercased() == string.lowercased() }) {
            self = known
        } else {
            rawValue = string
        }
    }

    public var isSystemFlag: Bool { rawValue.hasPrefix("\\") }
    public var description: String { rawValue }
}

/// `STORE set (+|-)FLAGS[.SILENT] flags` (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3).
public struct StoreCommand: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case replace
        case add
        case remove
    }
    public var operation: Operation
    public var silent: Bool
    public var flags: [Flag]
    public var unchangedSince: UInt64?

    public init(operation: Operation, silent: Bool, flags: [Flag], unchangedSince: UInt64? = nil) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
        self.unchangedSince = unchangedSince
    }
}

/// `SEARCH [RETURN (…)] [CHARSET c] keys` (RFC 3501 §6.4.4, RFC 4731 ESEARCH).
public struct SearchCommand: Sendable, Equatable {
    public enum ReturnOption: String, Sendable, Equatable {
        case min = "MIN"
        case max = "MAX"
        case all = "ALL"
        case count = "COUNT"
    }
    public var charset: String?
    public var key: SearchKey
    /// `nil` for a plain SEARCH; a list (possibly empty, meaning ALL) for ESEARCH's `RETURN (…)`.
    public var returnOptions: [ReturnOption]?

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
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public static func < (lhs: SearchDate, rhs: SearchDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
