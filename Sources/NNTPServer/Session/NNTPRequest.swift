import Foundation

/// What a session needs from the news store; the handler runs it (`NNTPNewsStore`) and hands the
/// `NNTPReply` back to the session.
public enum NNTPRequest: Equatable, Sendable {
    /// The group's article numbers (GROUP, LISTGROUP).
    case group(String)
    /// One article of a group by number; `headOnly` when the body is not needed (STAT, HEAD, NEXT, LAST).
    case article(group: String, number: UInt32, headOnly: Bool)
    /// One article by message-id, in whichever group holds it.
    case articleByID(String, headOnly: Bool)
    /// Overview lines of the group's articles in `range`, as the store holds them now (OVER).
    case overview(group: String, range: ArticleRange)
    /// The overview line of an article by message-id.
    case overviewByID(String)
    /// One header field (or `:bytes`/`:lines`) of each article (HDR).
    case header(field: String, group: String, range: ArticleRange)
    /// One header field of an article by message-id.
    case headerByID(field: String, messageID: String)
    /// Every group (LIST, NEWGROUPS).
    case groups
    /// The message-ids of articles that arrived at or after `since`, with their groups (NEWNEWS).
    case newNews(since: Date)
    /// Checks a password (AUTHINFO USER/PASS, SASL PLAIN).
    case authenticate(user: String, password: String)
    /// Stores a posted article for `user` (POST).
    case post(article: [UInt8], user: String)
    /// Stores an article a peer transferred with IHAVE, as it came (its Path gains this server).
    case transfer(article: [UInt8], messageID: String)
}

/// A group's article numbers as GROUP sees them.
public struct GroupSnapshot: Equatable, Sendable {
    /// The group's name.
    public var name: String
    /// Its article numbers, ascending.
    public var numbers: [UInt32]
    /// The number the next article will get (the store's UIDNEXT).
    public var next: UInt32

    /// A snapshot.
    public init(name: String, numbers: [UInt32], next: UInt32) {
        self.name = name
        self.numbers = numbers
        self.next = next
    }

    /// §6.1.1.2: the low water mark; for an empty group, one more than the high.
    public var low: UInt32 { numbers.first ?? next }
    /// The high water mark; for an empty group, one less than the next number.
    public var high: UInt32 { numbers.last ?? (next &- 1) }
}

/// One group for LIST ACTIVE, NEWSGROUPS, ACTIVE.TIMES and NEWGROUPS.
public struct GroupSummary: Equatable, Sendable {
    /// The group's name (`comp.lang.swift`).
    public var name: String
    /// The low water mark (§6.1.1.2).
    public var low: UInt32
    /// The high water mark.
    public var high: UInt32
    /// How many articles the group holds.
    public var count: Int
    /// LIST ACTIVE status `n`: posting refused.
    public var readOnly: Bool
    /// The one-line description of LIST NEWSGROUPS.
    public var description: String
    /// When the group was made (LIST ACTIVE.TIMES, NEWGROUPS).
    public var created: Date
    /// Who made it (LIST ACTIVE.TIMES).
    public var creator: String

    /// A summary.
    public init(
        name: String,
        low: UInt32,
        high: UInt32,
        count: Int,
        readOnly: Bool,
        description: String,
        created: Date,
        creator: String
    ) {
        self.name = name
        self.low = low
        self.high = high
        self.count = count
        self.readOnly = readOnly
        self.description = description
        self.created = created
        self.creator = creator
    }
}

/// An article as the store holds it.
public struct Article: Equatable, Sendable {
    /// Its number in the group asked about (0 when looked up by message-id, §6.2.1.2).
    public var number: UInt32
    /// Its Message-ID (`<…>`).
    public var messageID: String
    /// The article with CRLF line ends; just the header section (with its blank line) when only the
    /// head was asked for.
    public var bytes: [UInt8]

    /// An article.
    public init(number: UInt32, messageID: String, bytes: [UInt8]) {
        self.number = number
        self.messageID = messageID
        self.bytes = bytes
    }
}

/// Why a POST was not accepted (441 with the reason, RFC 3977 §6.3.1).
public enum PostOutcome: Equatable, Sendable {
    case accepted(messageID: String)
    case refused(String)
}

/// The store's answer to an `NNTPRequest`.
public enum NNTPReply: Equatable, Sendable {
    case group(GroupSnapshot?)
    case article(Article?)
    /// Overview lines as (number, line without the number); the line's fields are tab-separated.
    case overview([(UInt32, String)])
    case header([(UInt32, String)])
    case groups([GroupSummary])
    /// (message-id, group) pairs.
    case newNews([(String, String)])
    /// The password was checked: right (`true`) or wrong, with no pause asked.
    case authenticated(Bool)
    /// The password was wrong; the failed-login throttle shared with SMTP and IMAP asks for this pause
    /// before the `481` (`AuthThrottle.failed`), to slow down guessing.
    case loginRefused(backOff: Duration)
    /// The client's address failed too often lately: the password was not checked (`AuthThrottle.check`).
    case loginThrottled
    case posted(PostOutcome)
    /// The store failed (403, §3.2.1).
    case failure(String)

    /// Compares case by case, written out because the overview and header pairs are tuples, which are not
    /// Equatable.
    public static func == (lhs: NNTPReply, rhs: NNTPReply) -> Bool {
        switch (lhs, rhs) {
        case (.group(let a), .group(let b)): a == b
        case (.article(let a), .article(let b)): a == b
        case (.overview(let a), .overview(let b)), (.header(let a), .header(let b)):
            a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        case (.groups(let a), .groups(let b)): a == b
        case (.newNews(let a), .newNews(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        case (.authenticated(let a), .authenticated(let b)): a == b
        case (.loginRefused(let a), .loginRefused(let b)): a == b
        case (.loginThrottled, .loginThrottled): true
        case (.posted(let a), .posted(let b)): a == b
        case (.failure(let a), .failure(let b)): a == b
        default: false
        }
    }
}

/// Runs the session's requests; `BackendNewsStore` does so over the Maildir store.
public protocol NNTPNewsStore: Sendable {
    /// The answer to `request` (errors are `.failure` replies).
    func answer(_ request: NNTPRequest, clientAddress: String) async -> NNTPReply

    /// The answer to `request` if the store can give it now on the caller's thread without waiting
    /// for anything but a small file read (the connection's event loop: no task, no thread hop), or
    /// nil: then `answer` is asked. Must be the answer `answer` would give.
    func answerAtOnce(_ request: NNTPRequest) -> NNTPReply?
}

extension NNTPNewsStore {
    /// Nothing is answered at once: every request goes to `answer`.
    public func answerAtOnce(_ request: NNTPRequest) -> NNTPReply? { nil }
}
