import Foundation

/// What a session is allowed and offers, fixed per connection.
public struct NNTPSessionConfiguration: Sendable, Equatable {
    /// The connection is already encrypted (an implicit-TLS listener).
    public var isTLS: Bool
    /// STARTTLS can be offered (a certificate is configured and the listener is plain).
    public var startTLSAvailable: Bool
    /// AUTHINFO is accepted without TLS (`--allow-plaintext-auth`).
    public var allowPlaintextAuth: Bool
    /// The name in the greeting, Path and Injection-Info.
    public var serverName: String
    /// A posted article larger than this is refused (441).
    public var maximumArticleBytes: Int
    /// Failed AUTHINFO attempts before the connection is ended.
    public var maximumFailedLogins: Int
    /// The client is a configured peer: IHAVE is offered and accepted.
    public var isPeer: Bool

    /// A configuration; the limits default to `NNTPDefaults`.
    public init(
        isTLS: Bool = false,
        startTLSAvailable: Bool = false,
        allowPlaintextAuth: Bool = false,
        serverName: String = "correo",
        maximumArticleBytes: Int = NNTPDefaults.maximumArticleBytes,
        maximumFailedLogins: Int = NNTPDefaults.maximumFailedLogins,
        isPeer: Bool = false
    ) {
        self.isPeer = isPeer
        self.isTLS = isTLS
        self.startTLSAvailable = startTLSAvailable
        self.allowPlaintextAuth = allowPlaintextAuth
        self.serverName = serverName
        self.maximumArticleBytes = maximumArticleBytes
        self.maximumFailedLogins = maximumFailedLogins
    }
}

/// One NNTP connection's state (RFC 3977 reader, RFC 4642 STARTTLS, RFC 4643 AUTHINFO) as a value:
/// lines and the store's replies go in, responses and requests come out.
///
/// No I/O; time is passed in.
///
/// Commands that need the store become a `.request`; until its `.reply` arrives, further lines wait in
/// order (pipelining, §3.5). Articles being posted are collected line by line, dot-unstuffed.
public struct NNTPSession: Sendable {
    /// What the session is told.
    public enum Event: Sendable, Equatable {
        /// The connection is open: send the greeting.
        case connected
        /// One line from the client, without its CRLF (or LF).
        case line([UInt8])
        /// The store's answer to the last `.request`.
        case reply(NNTPReply)
        /// The `.pause` asked for is over.
        case resumed
    }

    /// What the handler must do, in order.
    public enum Action: Sendable, Equatable {
        /// Write these bytes.
        case send([UInt8])
        /// Ask the store; feed its answer back as `.reply`.
        case request(NNTPRequest)
        /// Put TLS in front of the connection now; octets already received after STARTTLS are dropped.
        case startTLS
        /// Close after what was sent is written.
        case close
        /// Wait this long, then feed `.resumed`; lines received meanwhile wait their turn (a failed
        /// login's back-off).
        case pause(Duration)
    }

    /// What a request's reply is for.
    enum Pending: Sendable, Equatable {
        case group(listGroup: Bool, range: ArticleRange?)
        case article(ArticlePart, byID: Bool)
        case step(next: Bool)
        case over(byID: Bool)
        case hdr(byID: Bool, legacy: Bool, field: String)
        case list(ListKeyword)
        case newGroups(Date)
        case newNews(Wildmat)
        case authenticate(user: String)
        case post
        case ihaveOffer(String)
        case transfer
    }

    enum Mode: Sendable, Equatable {
        case commands
        case awaiting(Pending)
        /// Receiving a posted article (after 340).
        case article(tooLarge: Bool)
        /// AUTHINFO SASL PLAIN waiting for the client's response to `383`.
        case saslResponse
        /// A failed login's back-off: after `.resumed`, the `481` (and the end, when `closing`).
        case pausing(closing: Bool)
        case closed
    }

    /// The configuration.
    public let configuration: NNTPSessionConfiguration
    var mode = Mode.commands
    var queued: [[UInt8]] = []
    /// The selected group (§6.1.1) as of GROUP / LISTGROUP.
    public internal(set) var selected: GroupSnapshot?
    /// The current article number (§6.1.1.2), nil when invalid.
    public internal(set) var current: UInt32?
    /// The authenticated user, if any.
    public internal(set) var user: String?
    /// Whether the connection is encrypted now.
    public internal(set) var isTLS: Bool
    var pendingUser: String?
    /// The article being posted, dot-unstuffed, CRLF line ends.
    var posted: [UInt8] = []
    /// The message-id of the article a peer is transferring (IHAVE), nil for POST.
    var transferring: String?
    var failedLogins = 0

    /// A new session; feed it `.connected` first.
    public init(configuration: NNTPSessionConfiguration) {
        self.configuration = configuration
        isTLS = configuration.isTLS
    }

    /// Whether the connection is over (QUIT, too many failures, a protocol breach).
    public var isClosed: Bool { mode == .closed }

    /// Whether a store request is out: lines received now would only be queued.
    public var isAwaitingReply: Bool {
        switch mode {
        case .awaiting, .pausing: true
        default: false
        }
    }

    /// Takes in one event; returns what to do.
    public mutating func received(_ event: Event, now: Date) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .connected:
            actions.append(
                .send(NNTPResponse.status(200, "\(configuration.serverName) NNTP service ready, posting allowed"))
            )
        case .line(let line):
            switch mode {
            case .closed: break
            case .awaiting, .pausing:
                guard queued.count < NNTPDefaults.maximumQueuedCommands else {
                    return close(&actions, 400, "Too many pipelined commands")
                }
                queued.append(line)
            case .article(let tooLarge): articleLine(line, tooLarge: tooLarge, &actions)
            case .saslResponse: saslResponse(line, &actions)
            case .commands: command(line, now: now, &actions)
            }
        case .reply(let reply):
            guard case .awaiting(let pending) = mode else { return [] }
            mode = .commands
            answer(pending, reply, &actions)
        case .resumed:
            guard case .pausing(let closing) = mode else { return [] }
            mode = .commands
            refuseLogin(closing: closing, &actions)
        }
        while mode == .commands, !queued.isEmpty {
            command(queued.removeFirst(), now: now, &actions)
        }
        return actions
    }

    mutating func close(_ actions: inout [Action], _ code: Int, _ text: String) -> [Action] {
        actions.append(.send(NNTPResponse.status(code, text)))
        actions.append(.close)
        mode = .closed
        queued = []
        return actions
    }

    mutating func ask(_ request: NNTPRequest, _ pending: Pending, _ actions: inout [Action]) {
        mode = .awaiting(pending)
        actions.append(.request(request))
    }

    private mutating func command(_ line: [UInt8], now: Date, _ actions: inout [Action]) {
        switch NNTPCommandParser.parse(line, now: now) {
        case .unknown: actions.append(.send(NNTPResponse.status(500, "Unknown command")))
        case .syntaxError(let reason): actions.append(.send(NNTPResponse.status(501, "Syntax error: \(reason)")))
        case .command(let command): execute(command, now: now, &actions)
        }
    }

    private mutating func execute(_ command: NNTPCommand, now: Date, _ actions: inout [Action]) {
        func send(_ code: Int, _ text: String) { actions.append(.send(NNTPResponse.status(code, text))) }
        switch command {
        case .capabilities:
            actions.append(.send(NNTPResponse.multiline(101, "Capability list:", lines: capabilities)))
        case .modeReader: send(200, "Reader mode, posting allowed")
        case .group(let name): ask(.group(name), .group(listGroup: false, range: nil), &actions)
        case .listGroup(let name, let range):
            guard let name = name ?? selected?.name else { return send(412, "No newsgroup selected") }
            ask(.group(name), .group(listGroup: true, range: range), &actions)
        case .article(let selector, let part): article(selector, part, &actions)
        case .next, .last: step(next: command == .next, &actions)
        case .over(let selector):
            switch resolve(selector, &actions) {
            case .none: return
            case .messageID(let id)?: ask(.overviewByID(id), .over(byID: true), &actions)
            case .range(let group, let range)?: ask(.overview(group: group, range: range), .over(byID: false), &actions)
            }
        case .hdr(let field, let selector, let legacy):
            switch resolve(selector, &actions) {
            case .none: return
            case .messageID(let id)?:
                ask(.headerByID(field: field, messageID: id), .hdr(byID: true, legacy: legacy, field: field), &actions)
            case .range(let group, let range)?:
                ask(
                    .header(field: field, group: group, range: range),
                    .hdr(byID: false, legacy: legacy, field: field),
                    &actions
                )
            }
        case .list(.overviewFormat):
            actions.append(
                .send(NNTPResponse.multiline(215, "Order of fields in overview database", lines: Self.overviewFormat))
            )
        case .list(.headers):
            actions.append(
                .send(
                    NNTPResponse.multiline(
                        215,
                        "Headers and metadata items supported",
                        lines: [":", ":bytes", ":lines"]
                    )
                )
            )
        case .list(let keyword): ask(.groups, .list(keyword), &actions)
        case .newGroups(let since): ask(.groups, .newGroups(since), &actions)
        case .newNews(let wildmat, let since): ask(.newNews(since: since), .newNews(wildmat), &actions)
        case .date: send(111, NNTPDateTime.format(now))
        case .help: actions.append(.send(NNTPResponse.multiline(100, "Help text follows", lines: Self.help)))
        case .quit:
            _ = close(&actions, 205, "Bye")
        case .post:
            guard user != nil else { return send(480, "Authentication required to post") }
            mode = .article(tooLarge: false)
            posted = []
            transferring = nil
            send(340, "Send article to be posted; end it with <CR-LF>.<CR-LF>")
        case .ihave(let id):
            guard configuration.isPeer else { return send(502, "IHAVE is only for configured peers") }
            ask(.articleByID(id, headOnly: true), .ihaveOffer(id), &actions)
        case .startTLS:
            // RFC 4642 §2.2.1: not once TLS is on, nor after authentication.
            if isTLS || user != nil { return send(502, "Command unavailable: TLS already active or authenticated") }
            guard configuration.startTLSAvailable else { return send(580, "TLS not available") }
            send(382, "Continue with TLS negotiation")
            isTLS = true
            queued = []
            actions.append(.startTLS)
        case .authinfoUser, .authinfoPass, .authinfoSASL: authinfo(command, &actions)
        }
    }

    /// A range selector made concrete: a group and range, or a message-id; nil after sending 412/420.
    private enum Target {
        case range(String, ArticleRange)
        case messageID(String)
    }

    private func resolve(_ selector: RangeSelector, _ actions: inout [Action]) -> Target? {
        if case .messageID(let id) = selector { return .messageID(id) }
        guard let group = selected else {
            actions.append(.send(NNTPResponse.status(412, "No newsgroup selected")))
            return nil
        }
        if case .range(let range) = selector { return .range(group.name, range) }
        guard let current else {
            actions.append(.send(NNTPResponse.status(420, "Current article number is invalid")))
            return nil
        }
        return .range(group.name, .single(current))
    }

    private mutating func article(_ selector: ArticleSelector, _ part: ArticlePart, _ actions: inout [Action]) {
        let headOnly = part == .head || part == .stat
        if case .messageID(let id) = selector {
            return ask(.articleByID(id, headOnly: headOnly), .article(part, byID: true), &actions)
        }
        guard let group = selected else {
            return actions.append(.send(NNTPResponse.status(412, "No newsgroup selected")))
        }
        var number: UInt32
        if case .number(let given) = selector {
            number = given
        } else {
            guard let current else {
                return actions.append(.send(NNTPResponse.status(420, "Current article number is invalid")))
            }
            number = current
        }
        ask(.article(group: group.name, number: number, headOnly: headOnly), .article(part, byID: false), &actions)
    }

    /// §6.1.3 NEXT, §6.1.2 LAST: the nearest article after or before the current one.
    private mutating func step(next: Bool, _ actions: inout [Action]) {
        guard let group = selected else {
            return actions.append(.send(NNTPResponse.status(412, "No newsgroup selected")))
        }
        guard let current else {
            return actions.append(.send(NNTPResponse.status(420, "Current article number is invalid")))
        }
        let target = next ? group.numbers.first { $0 > current } : group.numbers.last { $0 < current }
        guard let target else {
            return actions.append(
                .send(
                    next
                        ? NNTPResponse.status(421, "No next article in this group")
                        : NNTPResponse.status(422, "No previous article in this group")
                )
            )
        }
        ask(.article(group: group.name, number: target, headOnly: true), .step(next: next), &actions)
    }

    /// The §5.2 capability list as this connection stands.
    var capabilities: [String] {
        var lines = [
            "VERSION 2", "READER", "POST", "HDR", "OVER MSGID", "NEWNEWS",
            "LIST ACTIVE ACTIVE.TIMES NEWSGROUPS OVERVIEW.FMT HEADERS",
        ]
        if configuration.isPeer { lines.append("IHAVE") }
        if configuration.startTLSAvailable, !isTLS, user == nil { lines.append("STARTTLS") }
        if user == nil, isTLS || configuration.allowPlaintextAuth {
            lines.append("AUTHINFO USER SASL")
            lines.append("SASL PLAIN")
        }
        lines.append("IMPLEMENTATION correo")
        return lines
    }

    /// RFC 3977 §8.4: the overview's fields, in order.
    ///
    /// The two metadata items go by their legacy names "Bytes:" and "Lines:", which RFC 3977 §8.4.2 allows for
    /// compatibility and INN sends: slrn 1.0.3 finds the line count only under "Lines:" (with ":lines" it shows every
    /// article as 0 lines). HDR and LIST HEADERS still use ":bytes" and ":lines", as §8.5 asks.
    static let overviewFormat = ["Subject:", "From:", "Date:", "Message-ID:", "References:", "Bytes:", "Lines:"]

    static let help = [
        "ARTICLE|HEAD|BODY|STAT [number|<message-id>]", "AUTHINFO USER name|PASS password|SASL PLAIN [response]",
        "CAPABILITIES", "DATE", "GROUP newsgroup", "HDR field [range|<message-id>]", "HELP", "LAST",
        "LIST [ACTIVE|ACTIVE.TIMES|NEWSGROUPS [wildmat]]|OVERVIEW.FMT|HEADERS", "LISTGROUP [newsgroup [range]]",
        "MODE READER", "NEWGROUPS [yy]yymmdd hhmmss [GMT]", "NEWNEWS wildmat [yy]yymmdd hhmmss [GMT]", "NEXT",
        "IHAVE <message-id>", "OVER [range|<message-id>]", "POST", "QUIT", "STARTTLS",
    ]
}
