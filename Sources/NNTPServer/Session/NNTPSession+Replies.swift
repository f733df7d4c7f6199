import Foundation

/// The store's replies turned into responses, and the two multi-line inputs: posted articles and
/// the SASL exchange.
extension NNTPSession {
    /// The store's reply to the request the session was waiting for, as the response the command is owed.
    mutating func answer(_ pending: Pending, _ reply: NNTPReply, _ actions: inout [Action]) {
        if case .failure = reply {
            switch pending {
            case .ihaveOffer, .transfer:
                return actions.append(.send(NNTPResponse.status(436, "Transfer not possible; try again later")))
            default: return actions.append(.send(NNTPResponse.status(403, "Internal fault; try again later")))
            }
        }
        switch pending {
        case .group, .article, .step, .over, .hdr: answerReading(pending, reply, &actions)
        case .list, .newGroups, .newNews: answerListing(pending, reply, &actions)
        case .authenticate(let name): answerAuthentication(user: name, reply, &actions)
        case .post, .ihaveOffer, .transfer: answerPosting(pending, reply, &actions)
        }
    }

    /// A reply that does not fit the request: the store's fault, not the client's (§3.2.1 403).
    private static var unexpectedAnswer: [UInt8] {
        NNTPResponse.status(403, "Internal fault: unexpected answer from the store")
    }

    /// GROUP and LISTGROUP (§6.1.1, §6.1.2), ARTICLE, HEAD, BODY and STAT (§6.2), NEXT and LAST (§6.1.3,
    /// §6.1.4), OVER (RFC 3977 §8.3) and HDR or XHDR (§8.5).
    private mutating func answerReading(_ pending: Pending, _ reply: NNTPReply, _ actions: inout [Action]) {
        func send(_ bytes: [UInt8]) { actions.append(.send(bytes)) }
        switch (pending, reply) {
        case (.group(let listGroup, let range), .group(let snapshot)):
            guard let snapshot else { return send(NNTPResponse.status(411, "No such newsgroup")) }
            selected = snapshot
            current = snapshot.numbers.first
            let status = "\(snapshot.numbers.count) \(snapshot.low) \(snapshot.high) \(snapshot.name)"
            guard listGroup else { return send(NNTPResponse.status(211, status)) }
            let numbers = snapshot.numbers.filter { range?.contains($0) ?? true }
            send(NNTPResponse.multiline(211, status + " list follows", lines: numbers.map(String.init)))
        case (.article(let part, let byID), .article(let article)):
            guard let article else {
                return send(
                    byID
                        ? NNTPResponse.status(430, "No article with that message-id")
                        : NNTPResponse.status(423, "No article with that number")
                )
            }
            if !byID { current = article.number }
            let number = byID ? 0 : article.number
            let status = "\(number) \(article.messageID)"
            let (head, body) = Self.split(article.bytes)
            switch part {
            case .article: send(NNTPResponse.multiline(220, status, content: article.bytes))
            case .head: send(NNTPResponse.multiline(221, status, content: head))
            case .body: send(NNTPResponse.multiline(222, status, content: body))
            case .stat: send(NNTPResponse.status(223, status))
            }
        case (.step(let next), .article(let article)):
            guard let article else {
                return send(
                    next
                        ? NNTPResponse.status(421, "No next article in this group")
                        : NNTPResponse.status(422, "No previous article in this group")
                )
            }
            current = article.number
            send(NNTPResponse.status(223, "\(article.number) \(article.messageID) retrieved"))
        case (.over(let byID), .overview(let lines)):
            guard !lines.isEmpty else {
                return send(
                    byID
                        ? NNTPResponse.status(430, "No article with that message-id")
                        : NNTPResponse.status(423, "No articles in that range")
                )
            }
            send(
                NNTPResponse.multiline(
                    224,
                    "Overview information follows",
                    lines: lines.map { "\(byID ? 0 : $0.0)\t\($0.1)" }
                )
            )
        case (.hdr(let byID, let legacy, let field), .header(let lines)):
            guard !lines.isEmpty else {
                return send(
                    byID
                        ? NNTPResponse.status(430, "No article with that message-id")
                        : NNTPResponse.status(423, "No articles in that range")
                )
            }
            send(
                NNTPResponse.multiline(
                    legacy ? 221 : 225,
                    legacy ? "\(field) fields follow" : "Headers follow",
                    lines: lines.map { "\(byID ? 0 : $0.0) \($0.1)" }
                )
            )
        default:
            send(Self.unexpectedAnswer)
        }
    }

    /// LIST (§7.6), NEWGROUPS (§7.3) and NEWNEWS (§7.4).
    private func answerListing(_ pending: Pending, _ reply: NNTPReply, _ actions: inout [Action]) {
        func send(_ bytes: [UInt8]) { actions.append(.send(bytes)) }
        switch (pending, reply) {
        case (.list(let keyword), .groups(let groups)):
            send(NNTPResponse.multiline(215, "Information follows", lines: Self.listLines(keyword, groups)))
        case (.newGroups(let since), .groups(let groups)):
            let lines = groups.filter { $0.created >= since }.map(Self.activeLine)
            send(NNTPResponse.multiline(231, "List of new newsgroups follows", lines: lines))
        case (.newNews(let wildmat), .newNews(let pairs)):
            var seen = Set<String>()
            let ids = pairs.filter { wildmat.matches($0.1) && seen.insert($0.0).inserted }.map(\.0)
            send(NNTPResponse.multiline(230, "List of new articles follows", lines: ids))
        default:
            send(Self.unexpectedAnswer)
        }
    }

    /// AUTHINFO's verdict (RFC 4643 §2.3, §2.4).
    ///
    /// A wrong password is answered after the pause the shared throttle asks for; after too many
    /// failures on this connection, it closes.
    private mutating func answerAuthentication(user name: String, _ reply: NNTPReply, _ actions: inout [Action]) {
        let backOff: Duration
        switch reply {
        case .authenticated(true):
            user = name
            failedLogins = 0
            return actions.append(.send(NNTPResponse.status(281, "Authentication accepted")))
        case .authenticated(false): backOff = .zero
        case .loginRefused(let pause): backOff = pause
        case .loginThrottled:
            failedLogins += 1
            actions.append(
                .send(NNTPResponse.status(481, "Authentication failed: too many failures lately; try later"))
            )
            if failedLogins >= configuration.maximumFailedLogins {
                _ = close(&actions, 400, "Too many failed authentication attempts")
            }
            return
        default: return actions.append(.send(Self.unexpectedAnswer))
        }
        failedLogins += 1
        let closing = failedLogins >= configuration.maximumFailedLogins
        guard backOff > .zero else { return refuseLogin(closing: closing, &actions) }
        mode = .pausing(closing: closing)
        actions.append(.pause(backOff))
    }

    /// The `481` of a wrong password, and the end of the connection after the last failure allowed.
    mutating func refuseLogin(closing: Bool, _ actions: inout [Action]) {
        actions.append(.send(NNTPResponse.status(481, "Authentication failed")))
        if closing { _ = close(&actions, 400, "Too many failed authentication attempts") }
    }

    /// POST (§6.3.1), IHAVE's offer and its transfer (§6.3.2).
    private mutating func answerPosting(_ pending: Pending, _ reply: NNTPReply, _ actions: inout [Action]) {
        func send(_ bytes: [UInt8]) { actions.append(.send(bytes)) }
        switch (pending, reply) {
        case (.post, .posted(.accepted(let id))):
            send(NNTPResponse.status(240, "Article received \(id)"))
        case (.post, .posted(.refused(let reason))):
            send(NNTPResponse.status(441, "Posting failed: \(reason)"))
        case (.ihaveOffer(let id), .article(let existing)):
            guard existing == nil else { return send(NNTPResponse.status(435, "Article not wanted")) }
            mode = .article(tooLarge: false)
            posted = []
            transferring = id
            send(NNTPResponse.status(335, "Send it; end with <CR-LF>.<CR-LF>"))
        case (.transfer, .posted(.accepted)):
            send(NNTPResponse.status(235, "Article transferred OK"))
        case (.transfer, .posted(.refused(let reason))):
            send(NNTPResponse.status(437, "Transfer rejected: \(reason)"))
        default:
            send(Self.unexpectedAnswer)
        }
    }

    /// LIST ACTIVE, ACTIVE.TIMES and NEWSGROUPS lines (§7.6.3, §7.6.4, §7.6.6) of the groups the
    /// wildmat matches.
    static func listLines(_ keyword: ListKeyword, _ groups: [GroupSummary]) -> [String] {
        switch keyword {
        case .active(let wildmat):
            return groups.filter { wildmat?.matches($0.name) ?? true }.map(activeLine)
        case .activeTimes(let wildmat):
            return groups.filter { wildmat?.matches($0.name) ?? true }.map {
                "\($0.name) \(Int($0.created.timeIntervalSince1970)) \($0.creator)"
            }
        case .newsgroups(let wildmat):
            return groups.filter { wildmat?.matches($0.name) ?? true }.map { "\($0.name)\t\(clean($0.description))" }
        case .overviewFormat: return overviewFormat
        case .headers: return [":", ":bytes", ":lines"]
        }
    }

    /// §7.6.3: `name high low status`.
    static func activeLine(_ group: GroupSummary) -> String {
        "\(group.name) \(group.high) \(group.low) \(group.readOnly ? "n" : "y")"
    }

    /// Tabs, CR and LF would break a line of a listing: they become spaces.
    static func clean(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// The header section (without its blank line) and the body of an article.
    static func split(_ bytes: [UInt8]) -> (head: ArraySlice<UInt8>, body: ArraySlice<UInt8>) {
        var index = 0
        var lineStart = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                let line = bytes[lineStart..<index]
                if line.isEmpty || line == [0x0D] {
                    return (bytes[0..<lineStart], bytes[(index + 1)...])
                }
                lineStart = index + 1
            }
            index += 1
        }
        return (bytes[...], [])
    }

    // MARK: - POST

    /// §6.3.1: collects the article until the lone `.`, undoing dot-stuffing (§3.1.1).
    mutating func articleLine(_ line: [UInt8], tooLarge: Bool, _ actions: inout [Action]) {
        if line == [UInt8(ascii: ".")] {
            mode = .commands
            let article = posted
            posted = []
            if let id = transferring {
                transferring = nil
                // §6.3.2: an article refused for its content is 437, not worth offering again.
                guard !tooLarge else {
                    return actions.append(.send(NNTPResponse.status(437, "Transfer rejected: article too large")))
                }
                return ask(.transfer(article: article, messageID: id), .transfer, &actions)
            }
            guard !tooLarge else {
                return actions.append(
                    .send(
                        NNTPResponse.status(
                            441,
                            "Posting failed: article larger than \(configuration.maximumArticleBytes) octets"
                        )
                    )
                )
            }
            guard let user else { return }
            return ask(.post(article: article, user: user), .post, &actions)
        }
        guard line.count <= NNTPDefaults.maximumArticleLineBytes else {
            _ = close(&actions, 400, "Line too long in posted article")
            return
        }
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line[...]
        if !tooLarge, posted.count + content.count + 2 <= configuration.maximumArticleBytes {
            posted += content
            posted += [0x0D, 0x0A]
        } else if !tooLarge {
            posted = []
            mode = .article(tooLarge: true)
        }
    }

    // MARK: - AUTHINFO (RFC 4643)

    mutating func authinfo(_ command: NNTPCommand, _ actions: inout [Action]) {
        func send(_ code: Int, _ text: String) { actions.append(.send(NNTPResponse.status(code, text))) }
        guard user == nil else { return send(502, "Already authenticated") }
        guard isTLS || configuration.allowPlaintextAuth else {
            return send(483, "Encryption required: use STARTTLS first")
        }
        switch command {
        case .authinfoUser(let name):
            pendingUser = name
            send(381, "Password required")
        case .authinfoPass(let password):
            guard let name = pendingUser else { return send(482, "Authentication commands issued out of sequence") }
            pendingUser = nil
            ask(.authenticate(user: name, password: password), .authenticate(user: name), &actions)
        case .authinfoSASL(let mechanism, let initial):
            guard mechanism == "PLAIN" else { return send(503, "Mechanism not recognized") }
            guard let initial else {
                mode = .saslResponse
                return send(383, "=")
            }
            saslPlain(initial, &actions)
        default: break
        }
    }

    mutating func saslResponse(_ line: [UInt8], _ actions: inout [Action]) {
        mode = .commands
        let text = String(decoding: line, as: UTF8.self)
        guard text != "*" else { return actions.append(.send(NNTPResponse.status(481, "Authentication cancelled"))) }
        saslPlain(text, &actions)
    }

    /// RFC 4616 PLAIN: `authzid NUL authcid NUL passwd`, base64; an authzid other than the user is refused.
    mutating func saslPlain(_ response: String, _ actions: inout [Action]) {
        guard let data = Data(base64Encoded: response == "=" ? "" : response) else {
            return actions.append(.send(NNTPResponse.status(504, "Base64 encoding error")))
        }
        let parts = Array(data).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let name = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self), !name.isEmpty,
            parts[0].isEmpty || Array(parts[0]) == Array(parts[1])
        else {
            return actions.append(.send(NNTPResponse.status(481, "Authentication failed: malformed PLAIN response")))
        }
        ask(.authenticate(user: name, password: password), .authenticate(user: name), &actions)
    }
}
