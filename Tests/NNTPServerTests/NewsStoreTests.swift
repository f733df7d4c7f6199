import Foundation
import MailStorage
import MailStore
import MailTestSupport
import PostgresStore
import ServerSupport
import Testing

@testable import NNTPServer

/// The news store over each real backend (a Maildir store, a PostgreSQL store): groups, POST as an
/// injecting agent, look-ups by message-id, overview and HDR, AUTHINFO against the store's users; on
/// Maildir also SMTP mail archived into a group and articles read at once.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct NewsStoreTests {
    private func withNews(
        _ backend: StorageBackend,
        _ body: (any MailStorageBackend, BackendNewsStore) async throws -> Void
    ) async throws {
        try await backend.with { store in
            try await store.addUser("bob@example.test", password: "bob's pass")
            try await store.addNewsgroup(Newsgroup(name: "misc.test", description: "Tests"))
            try await store.addNewsgroup(Newsgroup(name: "announce", address: "news@example.test", readOnly: true))
            let throttle = AuthThrottle(policy: .init(delayPerFailure: .zero))
            try await body(
                store,
                BackendNewsStore(groups: store, users: store, throttle: throttle, serverName: "news.example.test")
            )
        }
    }

    /// The Maildir store's own calls (delivery into groups, the published records).
    private func withMaildirNews(_ body: (MailStore, BackendNewsStore) async throws -> Void) async throws {
        try await withNews(.maildir) { store, news in
            try await body(try #require(store as? MailStore), news)
        }
    }

    /// A users' store that cannot be asked is the server's failure (`403`), and the shared throttle is
    /// told nothing: the client's next attempt is not slowed down for it.
    @Test func anUnreachableUserStoreIsAFailureNotAWrongPassword() async throws {
        let directory = try TemporaryDirectory(prefix: "correo-nntp-store")
        defer { directory.remove() }
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .seconds(5)))
        let news = BackendNewsStore(
            store: MailStore(root: directory.url),
            users: UnreachableUsers(),
            throttle: throttle,
            serverName: "news.example.test"
        )
        for _ in 0..<3 {
            let reply = await news.answer(
                .authenticate(user: "bob@example.test", password: "pw"),
                clientAddress: "192.0.2.7"
            )
            #expect(reply == .failure("the user database is unavailable; try again later"))
        }
        #expect(throttle.check(address: "192.0.2.7") == .allow)
        #expect(throttle.failed(address: "192.0.2.7") == .seconds(5), "the first failure the throttle hears")
    }

    private func post(_ news: BackendNewsStore, _ text: String) async -> NNTPReply {
        await news.answer(.post(article: Array(text.utf8), user: "bob@example.test"), clientAddress: "127.0.0.1")
    }

    @Test(arguments: StorageBackend.allCases)
    func groupsAreKeptAndValidated(_ backend: StorageBackend) async throws {
        try await withNews(backend) { store, news in
            #expect(try await store.newsgroups().map(\.name) == ["announce", "misc.test"])
            #expect(try await store.newsgroup(address: "NEWS@example.test")?.name == "announce")
            await #expect(throws: MailStoreError.self) { try await store.addNewsgroup(Newsgroup(name: "misc.test")) }
            await #expect(throws: MailStoreError.self) {
                try await store.addNewsgroup(Newsgroup(name: "other", address: "news@example.test"))
            }
            for bad in ["", "Upper", "a..b", ".a", "a/b", "a*", "../x"] {
                await #expect(throws: MailStoreError.self, "\(bad)") {
                    try await store.addNewsgroup(Newsgroup(name: bad))
                }
            }
            guard case .groups(let groups) = await news.answer(.groups, clientAddress: "127.0.0.1") else {
                Issue.record("no groups reply")
                return
            }
            #expect(groups.map(\.name) == ["announce", "misc.test"])
            #expect(groups.map(\.readOnly) == [true, false])
            #expect(groups[1].count == 0 && groups[1].low == groups[1].high + 1)
            try await store.deleteNewsgroup("announce")
            #expect(try await store.newsgroups().map(\.name) == ["misc.test"])
            #expect(await news.answer(.group("announce"), clientAddress: "127.0.0.1") == .group(nil))
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func postInjectsAndIsFoundAgain(_ backend: StorageBackend) async throws {
        try await withNews(backend) { store, news in
            let reply = await post(
                news,
                "From: bob@example.test\r\nNewsgroups: misc.test\r\nSubject: First\r\nPath: evil!path\r\nInjection-Info: forged\r\n\r\nHello.\r\n..\r\n"
            )
            guard case .posted(.accepted(let id)) = reply else {
                Issue.record("not accepted: \(reply)")
                return
            }
            #expect(id.hasPrefix("<") && id.hasSuffix("@news.example.test>"))
            guard case .group(let group?) = await news.answer(.group("misc.test"), clientAddress: "") else {
                Issue.record("no group")
                return
            }
            #expect(group.numbers == [1])
            guard case .article(let article?) = await news.answer(.articleByID(id, headOnly: false), clientAddress: "")
            else {
                Issue.record("not found by message-id")
                return
            }
            let text = String(decoding: article.bytes, as: UTF8.self)
            #expect(article.number == 0 && article.messageID == id)
            #expect(text.contains("Message-ID: \(id)\r\n") && text.contains("\r\nDate: "))
            #expect(text.contains("Path: news.example.test!.POSTED!evil!path\r\n"))
            #expect(
                text.contains(
                    "Injection-Info: news.example.test; posting-account=\"bob@example.test\"; posting-host=\"127.0.0.1\"\r\n"
                )
            )
            #expect(!text.contains("forged"))
            #expect(text.hasSuffix("\r\n\r\nHello.\r\n..\r\n"))
            guard
                case .overview(let lines) = await news.answer(
                    .overview(group: "misc.test", range: ArticleRange(low: 1, high: nil)),
                    clientAddress: ""
                )
            else {
                Issue.record("no overview")
                return
            }
            #expect(lines.count == 1 && lines[0].0 == 1)
            #expect(lines[0].1.hasPrefix("First\tbob@example.test\t"))
            #expect(lines[0].1.hasSuffix("\t\(id)\t\t\(article.bytes.count)\t2"))
            #expect(
                await news.answer(.header(field: "subject", group: "misc.test", range: .single(1)), clientAddress: "")
                    == .header([(1, "First")])
            )
            #expect(
                await news.answer(.headerByID(field: ":lines", messageID: id), clientAddress: "") == .header([(0, "2")])
            )
            #expect(
                await news.answer(.article(group: "misc.test", number: 2, headOnly: true), clientAddress: "")
                    == .article(nil)
            )
            guard
                case .newNews(let pairs) = await news.answer(
                    .newNews(since: Date().addingTimeInterval(-60)),
                    clientAddress: ""
                )
            else {
                Issue.record("no newnews")
                return
            }
            #expect(pairs.map(\.0) == [id])
            // The same Message-ID again is a duplicate.
            let again = await post(
                news,
                "From: b@x\r\nNewsgroups: misc.test\r\nSubject: x\r\nMessage-ID: \(id)\r\n\r\nx\r\n"
            )
            #expect(again == .posted(.refused("duplicate Message-ID \(id)")))
            _ = store
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func postRefusals(_ backend: StorageBackend) async throws {
        try await withNews(backend) { _, news in
            #expect(
                await post(news, "From: b@x\r\nNewsgroups: announce\r\nSubject: x\r\n\r\nx\r\n")
                    == .posted(.refused("announce is read-only (posting not permitted)"))
            )
            #expect(
                await post(news, "From: b@x\r\nNewsgroups: nope\r\nSubject: x\r\n\r\nx\r\n")
                    == .posted(.refused("no such newsgroup: nope"))
            )
            #expect(
                await post(news, "From: b@x\r\nSubject: x\r\n\r\nx\r\n")
                    == .posted(.refused("the article has no Newsgroups header field"))
            )
            #expect(
                await post(news, "Newsgroups: misc.test\r\n\r\nx\r\n")
                    == .posted(.refused("the article needs From and Subject header fields"))
            )
            #expect(
                await post(news, "From: b@x\r\nNewsgroups: misc.test\r\nSubject: x\r\nMessage-ID: bad\r\n\r\nx\r\n")
                    == .posted(.refused("malformed Message-ID"))
            )
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func ihaveTransferKeepsTheArticleAndExtendsPath(_ backend: StorageBackend) async throws {
        try await withNews(backend) { _, news in
            let article =
                "Path: peer.example!not-for-mail\r\nFrom: a@b\r\nNewsgroups: announce,elsewhere\r\nSubject: fed\r\nMessage-ID: <fed@peer>\r\n\r\nbody\r\n"
            let transfer = NNTPRequest.transfer(article: Array(article.utf8), messageID: "<fed@peer>")
            #expect(await news.answer(transfer, clientAddress: "") == .posted(.accepted(messageID: "<fed@peer>")))
            guard
                case .article(let stored?) = await news.answer(
                    .articleByID("<fed@peer>", headOnly: false),
                    clientAddress: ""
                )
            else {
                Issue.record("not stored")
                return
            }
            #expect(
                String(decoding: stored.bytes, as: UTF8.self).hasPrefix(
                    "Path: news.example.test!peer.example!not-for-mail\r\nFrom: a@b\r\n"
                )
            )
            #expect(
                await news.answer(transfer, clientAddress: "") == .posted(.refused("duplicate Message-ID <fed@peer>"))
            )
            let other = NNTPRequest.transfer(article: Array(article.utf8), messageID: "<other@peer>")
            #expect(
                await news.answer(other, clientAddress: "")
                    == .posted(.refused("the article's Message-ID is not <other@peer>"))
            )
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func authenticatesAgainstTheStoresUsers(_ backend: StorageBackend) async throws {
        try await withNews(backend) { _, news in
            #expect(
                await news.answer(
                    .authenticate(user: "BOB@example.test", password: "bob's pass"),
                    clientAddress: "127.0.0.2"
                ) == .authenticated(true)
            )
            #expect(
                await news.answer(
                    .authenticate(user: "bob@example.test", password: "wrong"),
                    clientAddress: "127.0.0.2"
                ) == .loginRefused(backOff: .zero)
            )
            #expect(
                await news.answer(.authenticate(user: "eve@example.test", password: "x"), clientAddress: "127.0.0.2")
                    == .loginRefused(backOff: .zero)
            )
        }
    }

    /// The shared throttle's verdicts reach the session as replies; the store itself never waits.
    @Test func theSharedThrottleAsksForPausesThenRefusesTheAddress() async throws {
        let directory = try TemporaryDirectory(prefix: "correo-nntp-throttle")
        defer { directory.remove() }
        let store = MailStore(root: directory.url)
        try store.users.add("bob@example.test", password: "right")
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .seconds(3), failuresBeforeBlock: 2))
        let news = BackendNewsStore(store: store, throttle: throttle, serverName: "news.example.test")
        let wrong = NNTPRequest.authenticate(user: "bob@example.test", password: "wrong")
        let right = NNTPRequest.authenticate(user: "bob@example.test", password: "right")
        #expect(await news.answer(wrong, clientAddress: "192.0.2.7") == .loginRefused(backOff: .seconds(3)))
        #expect(await news.answer(wrong, clientAddress: "192.0.2.7") == .loginRefused(backOff: .seconds(6)))
        #expect(await news.answer(right, clientAddress: "192.0.2.7") == .loginThrottled)
        #expect(await news.answer(right, clientAddress: "192.0.2.8") == .authenticated(true))
    }

    @Test func mailForAGroupAddressIsArchived() async throws {
        try await withMaildirNews { store, news in
            let message = try store.beginDelivery()
            try message.write(Array("From: a@b\r\nSubject: Via SMTP\r\n\r\nbody\r\n".utf8))
            let results = try await store.deliver(message, toGroups: ["announce"], users: ["bob@example.test"])
            #expect(results.allSatisfy(\.isDelivered) && results.count == 2)
            guard
                case .overview(let lines) = await news.answer(
                    .overview(group: "announce", range: ArticleRange(low: 1, high: nil)),
                    clientAddress: ""
                )
            else {
                Issue.record("no overview")
                return
            }
            #expect(lines.count == 1 && lines[0].1.hasPrefix("Via SMTP\ta@b"))
            let inbox = try await store.mailbox(user: "bob@example.test", name: .inbox)
            try await inbox.synchronize()
            #expect(await inbox.snapshot().count == 1)
        }
    }

    @Test func articlesByNumberAreAnsweredAtOnceAsTheStoreWould() async throws {
        try await withMaildirNews { _, news in
            let text = "From: bob@example.test\r\nNewsgroups: misc.test\r\nSubject: One\r\n\r\nBody.\r\n"
            #expect(await post(news, text) != .posted(.refused("")))
            #expect(news.answerAtOnce(.groups) == nil)
            #expect(await news.answer(.group("misc.test"), clientAddress: "") != .group(nil))
            // GROUP published the group's records: ARTICLE/HEAD/STAT by number need no task.
            for request in [
                NNTPRequest.article(group: "misc.test", number: 1, headOnly: false),
                .article(group: "misc.test", number: 1, headOnly: true),
                .article(group: "misc.test", number: 9, headOnly: false),
            ] {
                let atOnce = try #require(news.answerAtOnce(request))
                #expect(atOnce == (await news.answer(request, clientAddress: "")))
            }
            // A new article withdraws them; the store's answer publishes them again.
            #expect(await post(news, text.replacingOccurrences(of: "One", with: "Two")) != .posted(.refused("")))
            let second = NNTPRequest.article(group: "misc.test", number: 2, headOnly: false)
            #expect(news.answerAtOnce(second) == nil)
            guard case .article(let article?) = await news.answer(second, clientAddress: "") else {
                Issue.record("no second article")
                return
            }
            #expect(String(decoding: article.bytes, as: UTF8.self).contains("Subject: Two\r\n"))
            #expect(news.answerAtOnce(second) == .article(article))
            #expect(news.answerAtOnce(.article(group: "other", number: 1, headOnly: false)) == nil)
        }
    }

    /// Two nodes on one database are one news server: an article posted on one is found on the other by
    /// number, by message-id and in the overview, under the same number, and each node's message-id table
    /// notices the other's posts (the group's change token moved).
    @Test func twoNodesOnOneDatabaseServeTheSameGroups() async throws {
        try await PostgresServer.with { server in
            let url = try PostgresStoreURL(server.url)
            try await PostgresMailStore.withStore(url: url) { first in
                try await first.migrate()
                try await first.addUser("bob@example.test", password: "bob's pass")
                try await first.addNewsgroup(Newsgroup(name: "misc.test"))
                try await PostgresMailStore.withStore(url: url) { second in
                    let one = BackendNewsStore(groups: first, users: first, serverName: "one.example.test")
                    let two = BackendNewsStore(groups: second, users: second, serverName: "two.example.test")
                    // Each node builds its message-id table while the group is empty.
                    #expect(
                        await one.answer(.articleByID("<none@x>", headOnly: true), clientAddress: "") == .article(nil)
                    )
                    #expect(
                        await two.answer(.articleByID("<none@x>", headOnly: true), clientAddress: "") == .article(nil)
                    )
                    let text = "From: bob@example.test\r\nNewsgroups: misc.test\r\nSubject: Across\r\n\r\nHi.\r\n"
                    guard case .posted(.accepted(let id)) = await post(one, text) else {
                        Issue.record("not posted on the first node")
                        return
                    }
                    #expect(
                        await two.answer(.group("misc.test"), clientAddress: "")
                            == .group(
                                GroupSnapshot(name: "misc.test", numbers: [1], next: 2)
                            )
                    )
                    guard
                        case .article(let found?) = await two.answer(
                            .articleByID(id, headOnly: false),
                            clientAddress: ""
                        )
                    else {
                        Issue.record("the second node does not find \(id)")
                        return
                    }
                    #expect(found.messageID == id && String(decoding: found.bytes, as: UTF8.self).contains("Hi.\r\n"))
                    guard case .posted(.accepted(let other)) = await post(two, text) else {
                        Issue.record("not posted on the second node")
                        return
                    }
                    #expect(
                        await one.answer(.articleByID(other, headOnly: true), clientAddress: "") != .article(nil),
                        "the first node's table was rebuilt"
                    )
                    guard
                        case .overview(let lines) = await one.answer(
                            .overview(group: "misc.test", range: ArticleRange(low: 1, high: nil)),
                            clientAddress: ""
                        )
                    else {
                        Issue.record("no overview")
                        return
                    }
                    #expect(lines.map(\.0) == [1, 2])
                    #expect(lines.compactMap { Overview.messageID($0.1) } == [id, other])
                    // A duplicate is refused on either node.
                    let duplicate = "From: b@x\r\nNewsgroups: misc.test\r\nSubject: x\r\nMessage-ID: \(id)\r\n\r\nx\r\n"
                    #expect(await post(two, duplicate) == .posted(.refused("duplicate Message-ID \(id)")))
                }
            }
        }
    }
}
