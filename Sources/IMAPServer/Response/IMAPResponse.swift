import struct Foundation.Date

/// A server response (RFC 3501 §7): tagged completion, untagged data or status, or a continuation request.
public enum IMAPResponse: Sendable, Equatable {
    case tagged(tag: String, ResponseStatus, ResponseCode?, String)
    case untagged(UntaggedResponse)
    case continuation(String)

    /// A tagged OK.
    public static func ok(_ tag: String, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .ok, nil, text)
    }
    /// A tagged OK with a response code.
    public static func ok(_ tag: String, _ code: ResponseCode?, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .ok, code, text)
    }
    /// A tagged NO.
    public static func no(_ tag: String, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .no, nil, text)
    }
    /// A tagged NO with a response code.
    public static func no(_ tag: String, _ code: ResponseCode?, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .no, code, text)
    }
    /// A tagged BAD.
    public static func bad(_ tag: String, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .bad, nil, text)
    }
    /// A tagged BAD with a response code.
    public static func bad(_ tag: String, _ code: ResponseCode?, _ text: String) -> IMAPResponse {
        .tagged(tag: tag, .bad, code, text)
    }
}

/// `resp-cond-state`, `resp-cond-auth`, `resp-cond-bye` keywords.
public enum ResponseStatus: String, Sendable, Equatable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// `resp-text-code` (RFC 3501 §7.1, RFC 4315 UIDPLUS, RFC 5530 response codes, RFC 7162, RFC 7889).
public enum ResponseCode: Sendable, Equatable {
    case alert
    case badCharset([String])
    case capability([String])
    case parse
    case permanentFlags([Flag], allowsKeywords: Bool)
    case readOnly
    case readWrite
    case tryCreate
    case uidNext(UInt32)
    case uidValidity(UInt32)
    case unseen(Int)
    case appendUID(uidValidity: UInt32, uid: UInt32)
    case copyUID(uidValidity: UInt32, source: String, destination: String)
    case highestModSeq(UInt64)
    case noModSeq
    case modified(String)
    case tooBig
    case nonexistent
    case alreadyExists
    case cannot
    case limit
    case authenticationFailed
    case privacyRequired
    case closed
    case serverBug
    case clientBug
    case inUse
    case expungeIssued
    case unavailable
    /// RFC 5530 `NOPERM`: the user may not do this here (a shared `#news.` group is read-only).
    case noPerm
}

/// Untagged responses (`response-data`, `mailbox-data`, `message-data` of RFC 3501 §7).
public enum UntaggedResponse: Sendable, Equatable {
    case condition(ResponseStatus, ResponseCode?, String)
    case capability([String])
    case enabled([String])
    case id([IDParameter]?)
    /// `NAMESPACE` with a single personal namespace and the shared ones, each a prefix and its
    /// hierarchy delimiter (RFC 2342); no other users' namespace.
    case namespace(personalPrefix: String, delimiter: String, shared: [SharedNamespace] = [])
    case list(ListEntry)
    case lsub(ListEntry)
    case status(IMAPMailboxName, [StatusValue])
    /// `SEARCH` with CONDSTORE's `(MODSEQ n)` when asked for (RFC 7162 §3.1.5).
    case search([UInt32], modSeq: UInt64?)
    /// `ESEARCH (TAG "t") [UID] …` (RFC 4731).
    case esearch(tag: String, uid: Bool, [ESearchItem])
    case flags([Flag])
    case exists(Int)
    case recent(Int)
    case expunge(Int)
    case fetch(Int, [FetchResponseItem])
}

/// One mailbox in a LIST or LSUB answer (`mailbox-list`).
public struct ListEntry: Sendable, Equatable {
    /// The mailbox attributes, such as `\HasNoChildren` or `\Sent`.
    public var attributes: [String]
    /// The hierarchy delimiter; nil for a flat name space.
    public var delimiter: String?
    /// The mailbox name.
    public var name: IMAPMailboxName
    /// A LIST entry with these parts.
    public init(attributes: [String], delimiter: String?, name: IMAPMailboxName) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
    }
}

/// One attribute and its value in a STATUS answer (RFC 3501 §7.2.4).
public struct StatusValue: Sendable, Equatable {
    /// The attribute, such as MESSAGES.
    public var attribute: StatusAttribute
    /// Its value.
    public var value: UInt64
    /// An attribute and its value.
    public init(_ attribute: StatusAttribute, _ value: UInt64) {
        self.attribute = attribute
        self.value = value
    }
}

/// One item of an ESEARCH answer (RFC 4731 §3.1, RFC 7162 §3.1.5 MODSEQ).
public enum ESearchItem: Sendable, Equatable {
    case min(UInt32)
    case max(UInt32)
    case count(Int)
    case all(String)
    case modSeq(UInt64)
}

/// `msg-att` items of a FETCH response (RFC 3501 §7.4.2).
public enum FetchResponseItem: Sendable, Equatable {
    case uid(UInt32)
    case flags([Flag])
    case internalDate(Date)
    case rfc822Size(Int)
    case envelope(Envelope)
    /// `BODY` (no extension data).
    case body(BodyStructure)
    case bodyStructure(BodyStructure)
    case modSeq(UInt64)
    /// A body section: `name` is what precedes the data (`BODY[1.MIME]`, `RFC822.HEADER`),
    /// `origin` the partial fetch's start, echoed as `<origin>`.
    case section(name: String, origin: UInt32?, data: [UInt8]?)
    /// An item already encoded (`BODYSTRUCTURE (…)`), as kept in the store's derived cache.
    case encoded([UInt8])
}

/// One shared namespace of a NAMESPACE response (RFC 2342 §5): its prefix and its hierarchy delimiter.
public struct SharedNamespace: Sendable, Equatable {
    /// The prefix every mailbox of the namespace starts with, such as `#news.`.
    public var prefix: String
    /// The hierarchy delimiter inside the namespace, such as `.`.
    public var delimiter: String

    /// A shared namespace.
    public init(prefix: String, delimiter: String) {
        self.prefix = prefix
        self.delimiter = delimiter
    }
}
