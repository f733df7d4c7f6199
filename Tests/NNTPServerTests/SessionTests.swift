import Foundation
import MailTestSupport
import Testing

@testable import NNTPServer

/// Drives a session as the handler would, keeping what it sent and what it asked the store.
struct Harness {
    var session: NNTPSession
    var output: [String] = []
    var requests: [NNTPRequest] = []
    var startedTLS = false
    var closed = false
    var pauses: [Duration] = []
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    init(_ configuration: NNTPSessionConfiguration = .init(allowPlaintextAuth: true)) {
        session = NNTPSession(configuration: configuration)
        take(session.received(.connected, now: now))
    }

    mutating func take(_ actions: [NNTPSession.Action]) {
        for action in actions {
            switch action {
            case .send(let bytes): output.append(String(decoding: bytes, as: UTF8.self))
            case .request(let request): requests.append(request)
            case .startTLS: startedTLS = true
            case .close: closed = true
            case .pause(let duration): pauses.append(duration)
            }
        }
    }

    /// Sends a line; returns what was written in answer.
    @discardableResult
    mutating func send(_ line: String) -> String {
        let before = output.count
        take(session.received(.line(Array(line.utf8)), now: now))
        return output[before...].joined()
    }

    @discardableResult
    mutating func reply(_ reply: NNTPReply) -> String {
        let before = output.count
        take(session.received(.reply(reply), now: now))
        return output[before...].joined()
    }

    /// Tells the session its pause is over; returns what was written in answer.
    @discardableResult
    mutating func resume() -> String {
        let before = output.count
        take(session.received(.resumed, now: now))
        return output[before...].joined()
    }

    /// The status code of the last response.
    var lastCode: String { String(output.last?.prefix(3) ?? "") }

    static let group = GroupSnapshot(name: "misc.test", numbers: [3, 4, 7], next: 8)

    mutating func selectGroup() {
        send("GROUP misc.test")
        reply(.group(Self.group))
    }

    mutating func logIn() {
        send("AUTHINFO USER bob@example.com")
        send("AUTHINFO PASS pw")
        reply(.authenticated(true))
    }
}

private let article = Array("Subject: s\r\nMessage-ID: <7@x>\r\n\r\n.body\r\n".utf8)

@Suite(.offThePool) struct SessionTests {
    @Test func greetingCapabilitiesHelpDateQuit() {
        var h = Harness(.init(startTLSAvailable: true))
        #expect(h.output[0].hasPrefix("200 "))
        let caps = h.send("CAPABILITIES")
        #expect(caps.hasPrefix("101 "))
        #expect(caps.contains("VERSION 2\r\n") && caps.contains("READER\r\n") && caps.contains("STARTTLS\r\n"))
        #expect(caps.contains("OVER MSGID\r\n") && caps.contains("HDR\r\n"))
        #expect(!caps.contains("AUTHINFO"), "no AUTHINFO before TLS")
        #expect(h.send("MODE READER").hasPrefix("200 "))
        #expect(h.send("HELP").hasPrefix("100 "))
        #expect(h.send("DATE") == "111 \(NNTPDateTime.format(h.now))\r\n")
        #expect(NNTPDateTime.format(h.now) == "20261130005320")
        #expect(h.send("FROB") == "500 Unknown command\r\n")
        #expect(h.send("GROUP").hasPrefix("501 "))
        #expect(h.send("QUIT") == "205 Bye\r\n")
        #expect(h.closed)
        #expect(h.send("HELP") == "")
    }

    @Test func groupAndListgroup() {
        var h = Harness()
        h.send("GROUP misc.test")
        #expect(h.requests == [.group("misc.test")])
        #expect(h.reply(.group(Harness.group)) == "211 3 3 7 misc.test\r\n")
        #expect(h.session.current == 3)
        h.send("GROUP nope")
        #expect(h.reply(.group(nil)) == "411 No such newsgroup\r\n")
        #expect(h.session.selected?.name == "misc.test", "a failed GROUP keeps the selection")
        h.send("LISTGROUP misc.test 4-")
        #expect(h.reply(.group(Harness.group)) == "211 3 3 7 misc.test list follows\r\n4\r\n7\r\n.\r\n")
        h.send("GROUP empty")
        #expect(h.reply(.group(GroupSnapshot(name: "empty", numbers: [], next: 5))) == "211 0 5 4 empty\r\n")
        #expect(h.session.current == nil)
        var fresh = Harness()
        #expect(fresh.send("LISTGROUP").hasPrefix("412 "))
    }

    @Test func articleHeadBodyStatByNumberAndCurrent() {
        var h = Harness()
        #expect(h.send("ARTICLE").hasPrefix("412 "))
        #expect(h.send("HEAD 3").hasPrefix("412 "))
        h.selectGroup()
        h.send("ARTICLE 7")
        #expect(h.requests.last == .article(group: "misc.test", number: 7, headOnly: false))
        let full = h.reply(.article(Article(number: 7, messageID: "<7@x>", bytes: article)))
        #expect(full == "220 7 <7@x>\r\nSubject: s\r\nMessage-ID: <7@x>\r\n\r\n..body\r\n.\r\n")
        #expect(h.session.current == 7)
        h.send("HEAD")
        #expect(h.requests.last == .article(group: "misc.test", number: 7, headOnly: true))
        #expect(
            h.reply(.article(Article(number: 7, messageID: "<7@x>", bytes: article)))
                == "221 7 <7@x>\r\nSubject: s\r\nMessage-ID: <7@x>\r\n.\r\n"
        )
        h.send("BODY 7")
        #expect(
            h.reply(.article(Article(number: 7, messageID: "<7@x>", bytes: article)))
                == "222 7 <7@x>\r\n..body\r\n.\r\n"
        )
        h.send("STAT 7")
        #expect(h.reply(.article(Article(number: 7, messageID: "<7@x>", bytes: article))) == "223 7 <7@x>\r\n")
        h.send("STAT 5")
        #expect(h.reply(.article(nil)) == "423 No article with that number\r\n")
        #expect(h.session.current == 7, "a missing article leaves the current number")
    }

    @Test func articleByMessageIDKeepsCurrent() {
        var h = Harness()
        h.send("ARTICLE <7@x>")
        #expect(h.requests.last == .articleByID("<7@x>", headOnly: false))
        #expect(h.reply(.article(Article(number: 0, messageID: "<7@x>", bytes: article))).hasPrefix("220 0 <7@x>\r\n"))
        h.send("STAT <none@x>")
        #expect(h.reply(.article(nil)) == "430 No article with that message-id\r\n")
        #expect(h.session.current == nil)
    }

    @Test func nextAndLast() {
        var h = Harness()
        #expect(h.send("NEXT").hasPrefix("412 "))
        h.selectGroup()
        #expect(h.send("LAST") == "422 No previous article in this group\r\n")
        h.send("NEXT")
        #expect(h.requests.last == .article(group: "misc.test", number: 4, headOnly: true))
        #expect(h.reply(.article(Article(number: 4, messageID: "<4@x>", bytes: []))) == "223 4 <4@x> retrieved\r\n")
        h.send("NEXT")
        h.reply(.article(Article(number: 7, messageID: "<7@x>", bytes: [])))
        #expect(h.send("NEXT") == "421 No next article in this group\r\n")
        h.send("LAST")
        #expect(h.requests.last == .article(group: "misc.test", number: 4, headOnly: true))
        #expect(h.reply(.article(Article(number: 4, messageID: "<4@x>", bytes: []))) == "223 4 <4@x> retrieved\r\n")
        h.send("GROUP empty")
        h.reply(.group(GroupSnapshot(name: "empty", numbers: [], next: 1)))
        #expect(h.send("NEXT").hasPrefix("420 "))
    }

    @Test func overAndHdr() {
        var h = Harness()
        #expect(h.send("OVER").hasPrefix("412 "))
        h.selectGroup()
        h.send("OVER 3-4")
        #expect(h.requests.last == .overview(group: "misc.test", range: ArticleRange(low: 3, high: 4)))
        #expect(
            h.reply(.overview([(3, "s\tf\td\t<3@x>\t\t10\t1")]))
                == "224 Overview information follows\r\n3\ts\tf\td\t<3@x>\t\t10\t1\r\n.\r\n"
        )
        h.send("XOVER 100-")
        #expect(h.reply(.overview([])) == "423 No articles in that range\r\n")
        h.send("OVER")
        #expect(h.requests.last == .overview(group: "misc.test", range: .single(3)))
        h.reply(.overview([(3, "x")]))
        h.send("OVER <3@x>")
        #expect(h.reply(.overview([(0, "x")])) == "224 Overview information follows\r\n0\tx\r\n.\r\n")
        h.send("OVER <4@x>")
        #expect(h.reply(.overview([])).hasPrefix("430 "))
        h.send("HDR Subject 3-")
        #expect(
            h.requests.last == .header(field: "Subject", group: "misc.test", range: ArticleRange(low: 3, high: nil))
        )
        #expect(h.reply(.header([(3, "one"), (4, "")])) == "225 Headers follow\r\n3 one\r\n4 \r\n.\r\n")
        h.send("XHDR subject <3@x>")
        #expect(h.requests.last == .headerByID(field: "subject", messageID: "<3@x>"))
        #expect(h.reply(.header([(0, "one")])) == "221 subject fields follow\r\n0 one\r\n.\r\n")
        h.send("HDR Subject 9")
        #expect(h.reply(.header([])).hasPrefix("423 "))
    }

    @Test func listVariantsNewgroupsNewnews() throws {
        var h = Harness()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let groups = [
            GroupSummary(
                name: "comp.a",
                low: 1,
                high: 5,
                count: 5,
                readOnly: false,
                description: "A\tgroup",
                created: created,
                creator: "admin"
            ),
            GroupSummary(
                name: "misc.b",
                low: 3,
                high: 2,
                count: 0,
                readOnly: true,
                description: "B",
                created: h.now,
                creator: "correo"
            ),
        ]
        h.send("LIST")
        #expect(h.requests.last == .groups)
        #expect(h.reply(.groups(groups)) == "215 Information follows\r\ncomp.a 5 1 y\r\nmisc.b 2 3 n\r\n.\r\n")
        h.send("LIST ACTIVE comp.*")
        #expect(h.reply(.groups(groups)) == "215 Information follows\r\ncomp.a 5 1 y\r\n.\r\n")
        h.send("LIST NEWSGROUPS")
        #expect(h.reply(.groups(groups)) == "215 Information follows\r\ncomp.a\tA group\r\nmisc.b\tB\r\n.\r\n")
        h.send("LIST ACTIVE.TIMES *,!comp.*")
        #expect(
            h.reply(.groups(groups))
                == "215 Information follows\r\nmisc.b \(Int(h.now.timeIntervalSince1970)) correo\r\n.\r\n"
        )
        // the legacy names of :bytes and :lines (RFC 3977 §8.4.2), which slrn needs to show line counts
        #expect(
            h.send("LIST OVERVIEW.FMT").contains(
                "Subject:\r\nFrom:\r\nDate:\r\nMessage-ID:\r\nReferences:\r\nBytes:\r\nLines:\r\n.\r\n"
            )
        )
        #expect(h.send("LIST HEADERS") == "215 Headers and metadata items supported\r\n:\r\n:bytes\r\n:lines\r\n.\r\n")
        h.send("NEWGROUPS 20260101 000000 GMT")
        #expect(h.reply(.groups(groups)) == "231 List of new newsgroups follows\r\nmisc.b 2 3 n\r\n.\r\n")
        h.send("NEWNEWS comp.* 20200101 000000")
        #expect(
            h.reply(.newNews([("<1@x>", "comp.a"), ("<2@x>", "misc.b"), ("<1@x>", "comp.a")]))
                == "230 List of new articles follows\r\n<1@x>\r\n.\r\n"
        )
    }

    @Test func pipelinedCommandsWaitForTheStore() {
        var h = Harness()
        h.take(h.session.received(.line(Array("GROUP misc.test".utf8)), now: h.now))
        h.take(h.session.received(.line(Array("DATE".utf8)), now: h.now))
        h.take(h.session.received(.line(Array("STAT 3".utf8)), now: h.now))
        #expect(h.requests.count == 1)
        #expect(h.output.count == 1, "nothing answered before GROUP's reply")
        let answered = h.reply(.group(Harness.group))
        #expect(answered.hasPrefix("211 3 3 7 misc.test\r\n111 "))
        #expect(h.requests.last == .article(group: "misc.test", number: 3, headOnly: true))
        #expect(h.reply(.article(Article(number: 3, messageID: "<3@x>", bytes: []))) == "223 3 <3@x>\r\n")
        #expect(h.reply(.group(nil)) == "", "a reply nobody waits for is ignored")
    }

    @Test func tooManyPipelinedCommandsCloses() {
        var h = Harness()
        h.send("GROUP misc.test")
        for _ in 0...NNTPDefaults.maximumQueuedCommands { h.send("DATE") }
        #expect(h.lastCode == "400")
        #expect(h.closed)
    }

    @Test func storeFailureIs403() {
        var h = Harness()
        h.send("GROUP misc.test")
        #expect(h.reply(.failure("disk")) == "403 Internal fault; try again later\r\n")
    }
}

@Suite(.offThePool) struct AuthAndTLSTests {
    @Test func authinfoUserPass() {
        var h = Harness()
        #expect(h.send("AUTHINFO PASS pw") == "482 Authentication commands issued out of sequence\r\n")
        #expect(h.send("AUTHINFO USER bob@example.com") == "381 Password required\r\n")
        h.send("AUTHINFO PASS secret")
        #expect(h.requests.last == .authenticate(user: "bob@example.com", password: "secret"))
        #expect(h.reply(.authenticated(true)) == "281 Authentication accepted\r\n")
        #expect(h.session.user == "bob@example.com")
        #expect(h.send("AUTHINFO USER x").hasPrefix("502 "))
        #expect(!h.send("CAPABILITIES").contains("AUTHINFO"))
    }

    /// A users' store that cannot be asked is the server's fault (403), not a failed login: however often
    /// it happens, the connection stays, and the next AUTHINFO works.
    @Test func anUnavailableUserStoreIsNoFailedLogin() {
        var h = Harness()
        for _ in 1...5 {
            h.send("AUTHINFO USER bob")
            h.send("AUTHINFO PASS pw")
            #expect(h.reply(.failure("the user database is unavailable")) == "403 Internal fault; try again later\r\n")
            #expect(!h.closed)
        }
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS pw")
        #expect(h.reply(.authenticated(true)) == "281 Authentication accepted\r\n")
    }

    @Test func failedLoginsEndTheConnection() {
        var h = Harness()
        for attempt in 1...3 {
            h.send("AUTHINFO USER bob")
            h.send("AUTHINFO PASS wrong")
            #expect(h.reply(.authenticated(false)).hasPrefix("481 "))
            #expect(h.closed == (attempt == 3))
        }
        #expect(h.lastCode == "400")
    }

    /// The back-off the shared throttle asks for is the session's pause: nothing is answered until it is
    /// over, and a command pipelined behind the password waits for the `481`.
    @Test func aWrongPasswordIsAnsweredAfterThePause() {
        var h = Harness()
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS wrong")
        #expect(h.reply(.loginRefused(backOff: .seconds(4))) == "")
        #expect(h.pauses == [.seconds(4)])
        #expect(h.session.isAwaitingReply)
        #expect(h.send("DATE") == "")
        let answer = h.resume()
        #expect(answer.hasPrefix("481 Authentication failed\r\n111 "))
        #expect(!h.closed)
        #expect(h.resume() == "")
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS wrong")
        #expect(h.reply(.loginRefused(backOff: .zero)) == "481 Authentication failed\r\n")
        #expect(h.pauses == [.seconds(4)])
    }

    @Test func theLastFailureEndsTheConnectionAfterItsPause() {
        var h = Harness(.init(allowPlaintextAuth: true, maximumFailedLogins: 1))
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS wrong")
        h.reply(.loginRefused(backOff: .seconds(2)))
        #expect(!h.closed)
        #expect(h.resume() == "481 Authentication failed\r\n400 Too many failed authentication attempts\r\n")
        #expect(h.closed)
    }

    /// An address the shared throttle refuses is answered at once (its password was not checked), and the
    /// refusal counts against the connection's own limit.
    @Test func aThrottledAddressIsRefusedWithoutAPause() {
        var h = Harness(.init(allowPlaintextAuth: true, maximumFailedLogins: 2))
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS right")
        #expect(h.reply(.loginThrottled).hasPrefix("481 Authentication failed: too many failures lately"))
        #expect(h.pauses.isEmpty && !h.closed && h.session.user == nil)
        h.send("AUTHINFO USER bob")
        h.send("AUTHINFO PASS right")
        h.reply(.loginThrottled)
        #expect(h.closed)
        #expect(h.lastCode == "400")
    }

    @Test func saslPlain() {
        var h = Harness()
        let token = Data("\u{0}bob\u{0}pw".utf8).base64EncodedString()
        h.send("AUTHINFO SASL PLAIN \(token)")
        #expect(h.requests.last == .authenticate(user: "bob", password: "pw"))
        h.reply(.authenticated(false))
        #expect(h.send("AUTHINFO SASL PLAIN") == "383 =\r\n")
        h.send(token)
        #expect(h.requests.last == .authenticate(user: "bob", password: "pw"))
        #expect(h.reply(.authenticated(true)) == "281 Authentication accepted\r\n")
        var other = Harness()
        #expect(other.send("AUTHINFO SASL CRAM-MD5") == "503 Mechanism not recognized\r\n")
        #expect(other.send("AUTHINFO SASL PLAIN !!!") == "504 Base64 encoding error\r\n")
        other.send("AUTHINFO SASL PLAIN")
        #expect(other.send("*") == "481 Authentication cancelled\r\n")
        let foreign = Data("admin\u{0}bob\u{0}pw".utf8).base64EncodedString()
        #expect(other.send("AUTHINFO SASL PLAIN \(foreign)").hasPrefix("481 "))
    }

    @Test func authRequiresTLSUnlessAllowed() {
        var h = Harness(.init(startTLSAvailable: true))
        #expect(h.send("AUTHINFO USER bob") == "483 Encryption required: use STARTTLS first\r\n")
        #expect(h.send("AUTHINFO SASL PLAIN").hasPrefix("483 "))
        #expect(h.send("STARTTLS") == "382 Continue with TLS negotiation\r\n")
        #expect(h.startedTLS)
        #expect(h.session.isTLS)
        #expect(h.send("STARTTLS").hasPrefix("502 "))
        #expect(h.send("CAPABILITIES").contains("AUTHINFO USER SASL\r\n"))
        #expect(h.send("AUTHINFO USER bob") == "381 Password required\r\n")
        var noTLS = Harness(.init())
        #expect(noTLS.send("STARTTLS") == "580 TLS not available\r\n")
        var implicit = Harness(.init(isTLS: true))
        #expect(implicit.send("STARTTLS").hasPrefix("502 "))
        #expect(implicit.send("AUTHINFO USER bob").hasPrefix("381 "))
    }

    @Test func startTLSDropsPipelinedCommands() {
        var h = Harness(.init(startTLSAvailable: true))
        h.send("GROUP misc.test")
        h.send("STARTTLS")
        h.send("AUTHINFO USER injected")
        h.reply(.group(Harness.group))
        #expect(h.startedTLS)
        #expect(!h.output.joined().contains("381"), "a command sent before the handshake must not run after it")
    }
}

@Suite(.offThePool) struct IHaveTests {
    @Test func onlyForPeers() {
        var h = Harness()
        #expect(h.send("IHAVE <i@x>") == "502 IHAVE is only for configured peers\r\n")
        #expect(!h.send("CAPABILITIES").contains("IHAVE"))
    }

    @Test func offerTransferAndRefusals() {
        var h = Harness(.init(maximumArticleBytes: 100, isPeer: true))
        #expect(h.send("CAPABILITIES").contains("IHAVE\r\n"))
        h.send("IHAVE <i@x>")
        #expect(h.requests.last == .articleByID("<i@x>", headOnly: true))
        #expect(h.reply(.article(Article(number: 0, messageID: "<i@x>", bytes: []))) == "435 Article not wanted\r\n")
        h.send("IHAVE <i@x>")
        #expect(h.reply(.article(nil)) == "335 Send it; end with <CR-LF>.<CR-LF>\r\n")
        h.send("Message-ID: <i@x>")
        h.send("")
        h.send("..x")
        h.send(".")
        #expect(
            h.requests.last == .transfer(article: Array("Message-ID: <i@x>\r\n\r\n.x\r\n".utf8), messageID: "<i@x>")
        )
        #expect(h.reply(.posted(.accepted(messageID: "<i@x>"))) == "235 Article transferred OK\r\n")
        h.send("IHAVE <j@x>")
        h.reply(.article(nil))
        h.send(".")
        #expect(h.reply(.posted(.refused("no group"))) == "437 Transfer rejected: no group\r\n")
        h.send("IHAVE <k@x>")
        h.reply(.article(nil))
        h.send(String(repeating: "y", count: 200))
        #expect(h.send(".") == "437 Transfer rejected: article too large\r\n")
        h.send("IHAVE <l@x>")
        #expect(h.reply(.failure("disk")) == "436 Transfer not possible; try again later\r\n")
    }
}

@Suite(.offThePool) struct PostTests {
    @Test func postNeedsAuthentication() {
        var h = Harness()
        #expect(h.send("POST") == "480 Authentication required to post\r\n")
    }

    @Test func postCollectsAndUnstuffs() {
        var h = Harness()
        h.logIn()
        #expect(h.send("POST").hasPrefix("340 "))
        h.send("Newsgroups: misc.test")
        h.send("Subject: hi")
        h.send("")
        h.send("..leading dot")
        h.send("GROUP not a command")
        #expect(h.send(".") == "")
        let expected = Array("Newsgroups: misc.test\r\nSubject: hi\r\n\r\n.leading dot\r\nGROUP not a command\r\n".utf8)
        #expect(h.requests.last == .post(article: expected, user: "bob@example.com"))
        #expect(h.reply(.posted(.accepted(messageID: "<n@x>"))) == "240 Article received <n@x>\r\n")
        h.send("POST")
        h.send("Newsgroups: ro")
        h.send(".")
        #expect(h.reply(.posted(.refused("ro is read-only"))) == "441 Posting failed: ro is read-only\r\n")
    }

    @Test func oversizedArticleIsReadAndRefused() {
        var h = Harness(.init(allowPlaintextAuth: true, maximumArticleBytes: 20))
        h.logIn()
        h.send("POST")
        h.send(String(repeating: "x", count: 30))
        h.send("more")
        #expect(h.send(".").hasPrefix("441 "))
        #expect(h.send("DATE").hasPrefix("111 "), "back in command mode after the article")
    }
}
