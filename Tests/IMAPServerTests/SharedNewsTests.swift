import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import NNTPServer
import Testing

@testable import IMAPServer

/// Issue 14: the store's newsgroups appear to every IMAP user in the shared namespace `#news.`
/// (RFC 2342), read-only, over a real server and socket, on each backend.
@Suite(.offThePool) struct SharedNewsTests {
    static let bob = "bob@example.org"
    static let password = "pass word"
    static let article = Array(
        """
        From: Ann <ann@example.org>\r
        Newsgroups: comp.lang.swift\r
        Subject: hello swift readers\r
        Message-ID: <first@example.org>\r
        \r
        ARTICLE-BODY-MARKER\r

        """.utf8
    )

    /// A store of `backend` with bob, the groups comp.lang.swift (one article), local.test (none) and
    /// archive.ro (read-only), and a server; with `posting`, APPEND into `#news.` posts through the NNTP
    /// server's news store, as `correo serve` wires it.
    private static func withServer(
        _ backend: StorageBackend,
        posting: Bool = false,
        _ body: (any MailStorageBackend, Int) async throws -> Void
    ) async throws {
        try await backend.with { store in
            try await TemporaryDirectory.with { spool in
                try await store.addUser(bob, password: password)
                try await store.addNewsgroup(Newsgroup(name: "comp.lang.swift", description: "Swift"))
                try await store.addNewsgroup(Newsgroup(name: "local.test"))
                try await store.addNewsgroup(Newsgroup(name: "archive.ro", readOnly: true))
                _ = try await Self.post(article, to: "comp.lang.swift", in: store)
                let news =
                    posting ? BackendNewsStore(groups: store, users: store, serverName: "news.example.org") : nil
                let server = IMAPServer.serving(
                    store,
                    spool: spool.url,
                    configuration: .init(allowPlaintextAuth: true, newsPosting: news),
                    tlsContext: nil,
                    label: "shared-news-test"
                )
                let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])
                do {
                    try await body(store, ports[0])
                } catch {
                    try? await server.shutdown()
                    throw error
                }
                try await server.shutdown()
            }
        }
    }

    /// Stores `article` in `group` as NNTP's POST or SMTP's archive would, without the injection.
    private static func post(_ article: [UInt8], to group: String, in store: any NewsgroupStore) async throws -> UInt32
    {
        try await store.openNewsgroup(group).append(bytes: article, flags: [], keywords: [], internalDate: Date())
    }

    /// The articles of `group` as the store has them now.
    private static func articles(_ group: String, in store: any NewsgroupStore) async throws -> [MailboxMessage] {
        try await store.openNewsgroup(group).look(since: nil, claimRecent: false).messages ?? []
    }

    private static func answer(_ answers: [IMAPScript.Answer], _ command: String) throws -> IMAPScript.Answer {
        try #require(answers.first { $0.command == command }, "no answer to \(command)")
    }

    @Test(.timeLimit(.minutes(5)), arguments: StorageBackend.allCases)
    func namespaceAndListShowTheGroups(_ backend: StorageBackend) async throws {
        try await Self.withServer(backend) { _, port in
            let answers = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [
                    "NAMESPACE", ##"LIST "" "*""##, ##"LIST "" "%""##, ##"LIST "#news." "%""##,
                    ##"LIST "" "#news.comp.%""##,
                    ##"SUBSCRIBE "#news.comp.lang.swift""##, ##"SUBSCRIBE "#news.no.such""##, ##"LSUB "" "*""##,
                    ##"LIST (SUBSCRIBED) "" "*""##, ##"LIST "" "*" RETURN (STATUS (MESSAGES))"##,
                    ##"UNSUBSCRIBE "#news.comp.lang.swift""##, ##"LSUB "" "#news.*""##,
                ]
            )
            let namespace = try Self.answer(answers, "NAMESPACE")
            #expect(namespace.text.contains(##"* NAMESPACE (("" "/")) NIL (("#news." "."))"##))

            let all = try Self.answer(answers, ##"LIST "" "*""##).text
            #expect(all.contains(##"* LIST (\HasNoChildren) "." #news.comp.lang.swift\##r\##n"##))
            #expect(all.contains(##"* LIST (\HasNoChildren) "." #news.local.test\##r\##n"##))
            #expect(all.contains(##"* LIST (\Noselect \HasChildren) "." #news.comp\##r\##n"##))
            #expect(all.contains(##"* LIST (\HasNoChildren) "/" INBOX"##) || all.contains(##""/" "INBOX""##))

            let top = try Self.answer(answers, ##"LIST "" "%""##).text
            #expect(top.contains(##"* LIST (\Noselect \HasChildren) "." #news\##r\##n"##))
            #expect(!top.contains("#news.comp"))

            let level = try Self.answer(answers, ##"LIST "#news." "%""##).text
            #expect(level.contains(##"" #news.comp\##r\##n"##) && level.contains(##"" #news.local\##r\##n"##))
            #expect(!level.contains("#news.comp.lang"))
            let comp = try Self.answer(answers, ##"LIST "" "#news.comp.%""##).text
            #expect(comp.contains(##"* LIST (\Noselect \HasChildren) "." #news.comp.lang\##r\##n"##))

            #expect(try Self.answer(answers, ##"SUBSCRIBE "#news.comp.lang.swift""##).status == "OK")
            let unknown = try Self.answer(answers, ##"SUBSCRIBE "#news.no.such""##)
            #expect(unknown.status == "NO" && unknown.text.contains("[NONEXISTENT]"))
            #expect(
                try Self.answer(answers, ##"LSUB "" "*""##).text.contains(
                    ##"* LSUB () "." #news.comp.lang.swift\##r\##n"##
                )
            )
            let subscribed = try Self.answer(answers, ##"LIST (SUBSCRIBED) "" "*""##).text
            #expect(subscribed.contains(##"* LIST (\HasNoChildren \Subscribed) "." #news.comp.lang.swift\##r\##n"##))
            #expect(!subscribed.contains("#news.local.test"))
            let status = try Self.answer(answers, ##"LIST "" "*" RETURN (STATUS (MESSAGES))"##).text
            #expect(status.contains(##"* STATUS #news.comp.lang.swift (MESSAGES 1)"##))
            #expect(status.contains(##"* STATUS #news.local.test (MESSAGES 0)"##))
            #expect(try Self.answer(answers, ##"UNSUBSCRIBE "#news.comp.lang.swift""##).status == "OK")
            #expect(!(try Self.answer(answers, ##"LSUB "" "#news.*""##).text.contains("#news.comp.lang.swift")))
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: StorageBackend.allCases)
    func aGroupOpensReadOnlyAndItsArticlesCanBeRead(_ backend: StorageBackend) async throws {
        try await Self.withServer(backend) { store, port in
            let answers = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [
                    ##"STATUS "#news.comp.lang.swift" (MESSAGES UNSEEN UIDNEXT)"##,
                    ##"SELECT "#news.comp.lang.swift""##, "FETCH 1 (UID BODY[])", "FETCH 1 (FLAGS)",
                    ##"SEARCH SUBJECT "swift readers""##, ##"UID SEARCH BODY "no such words""##,
                    ##"STORE 1 +FLAGS (\Seen)"##, "EXPUNGE", ##"COPY 1 "#news.local.test""##, "COPY 1 INBOX",
                    ##"EXAMINE "#news.local.test""##, ##"SELECT "#news.comp""##, ##"SELECT "#news.../x""##,
                    ##"STATUS INBOX (MESSAGES)"##,
                ]
            )
            let status = try Self.answer(answers, ##"STATUS "#news.comp.lang.swift" (MESSAGES UNSEEN UIDNEXT)"##)
            #expect(status.text.contains(##"* STATUS #news.comp.lang.swift (MESSAGES 1 UNSEEN 1 UIDNEXT 2)"##))

            let select = try Self.answer(answers, ##"SELECT "#news.comp.lang.swift""##)
            #expect(select.status == "OK" && select.text.contains("[READ-ONLY]"))
            #expect(select.text.contains("* 1 EXISTS"))
            #expect(select.text.contains("[PERMANENTFLAGS ()]"))

            let fetch = try Self.answer(answers, "FETCH 1 (UID BODY[])")
            #expect(fetch.status == "OK" && fetch.text.contains("ARTICLE-BODY-MARKER"))
            #expect(fetch.text.contains("Subject: hello swift readers"))
            // Read-only: reading sets no \Seen (RFC 3501 §6.4.5), for this user or anyone else.
            #expect(!(try Self.answer(answers, "FETCH 1 (FLAGS)").text.contains("\\Seen")))
            #expect(try Self.answer(answers, ##"SEARCH SUBJECT "swift readers""##).text.contains("* SEARCH 1\r\n"))
            #expect(try Self.answer(answers, ##"UID SEARCH BODY "no such words""##).text.contains("* SEARCH\r\n"))

            let store1 = try Self.answer(answers, ##"STORE 1 +FLAGS (\Seen)"##)
            #expect(store1.status == "NO" && store1.text.contains("[READ-ONLY]"))
            #expect(try Self.answer(answers, "EXPUNGE").status == "NO")
            let copyIn = try Self.answer(answers, ##"COPY 1 "#news.local.test""##)
            #expect(copyIn.status == "NO" && copyIn.text.contains("[NOPERM]"))
            #expect(try Self.answer(answers, "COPY 1 INBOX").status == "OK")
            #expect(try Self.answer(answers, ##"EXAMINE "#news.local.test""##).text.contains("* 0 EXISTS"))
            let notGroup = try Self.answer(answers, ##"SELECT "#news.comp""##)
            #expect(notGroup.status == "NO" && notGroup.text.contains("[NONEXISTENT]"))
            #expect(try Self.answer(answers, ##"SELECT "#news.../x""##).status == "NO")
            #expect(try Self.answer(answers, ##"STATUS INBOX (MESSAGES)"##).text.contains("(MESSAGES 1)"))

            // The article stayed where it was, with no flag set by anyone.
            let records = try await Self.articles("comp.lang.swift", in: store)
            #expect(records.count == 1)
            #expect(records.first?.flags.contains(.seen) == false)
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: StorageBackend.allCases)
    func writingIntoTheNamespaceIsRefused(_ backend: StorageBackend) async throws {
        try await Self.withServer(backend) { store, port in
            let answers = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [
                    "APPEND \"#news.comp.lang.swift\" {5+}\r\nhello", "APPEND \"#news.new.group\" {5+}\r\nhello",
                    ##"CREATE "#news.foo""##, ##"CREATE "#news/foo""##, ##"CREATE "#news""##,
                    ##"DELETE "#news.comp.lang.swift""##, ##"RENAME "#news.comp.lang.swift" "Mine""##,
                    ##"RENAME INBOX "#news.x""##, ##"SELECT "#news.comp.lang.swift""##,
                    ##"MOVE 1 "#news.local.test""##, ##"MOVE 1 INBOX"##,
                ]
            )
            for answer in answers where !answer.command.hasPrefix("SELECT") && answer.command != "NOOP" {
                #expect(answer.status == "NO", "\(answer.command): \(answer.text)")
                if answer.command.hasPrefix("APPEND") || answer.command.hasPrefix("CREATE")
                    || answer.command.hasPrefix("RENAME") || answer.command.hasPrefix("DELETE")
                {
                    #expect(answer.text.contains("[NOPERM]"), "\(answer.command): \(answer.text)")
                }
            }
            #expect(try await Self.articles("comp.lang.swift", in: store).count == 1)
            #expect(try await store.newsgroups().map(\.name) == ["archive.ro", "comp.lang.swift", "local.test"])
            let folders = try await store.listMailboxes(user: Self.bob).map(\.name.description)
            #expect(!folders.contains { $0.hasPrefix("#") })
        }
    }

    /// APPEND `message` (CRLF line ends) into `mailbox`, as a LITERAL+ command for `IMAPScript`.
    private static func append(_ mailbox: String, _ message: String) -> String {
        "APPEND \"\(mailbox)\" {\(message.utf8.count)+}\r\n\(message)"
    }

    @Test(.timeLimit(.minutes(5)), arguments: StorageBackend.allCases)
    func appendIntoAGroupPostsTheArticleAsPOSTWould(_ backend: StorageBackend) async throws {
        try await Self.withServer(backend, posting: true) { store, port in
            let plain = "From: Bob <bob@example.org>\r\nSubject: posted by APPEND\r\n\r\nAPPEND-BODY\r\n"
            let commands = [
                Self.append("#news.local.test", plain),
                Self.append("#news.comp.lang.swift", "Newsgroups: local.test\r\n" + plain),
                Self.append("#news.local.test", "Subject: no author\r\n\r\nbody\r\n"),
                Self.append("#news.comp.lang.swift", "Message-ID: <first@example.org>\r\n" + plain),
                Self.append("#news.archive.ro", plain),
                Self.append("#news.no.such.group", plain),
                Self.append("#news.comp.lang.swift", "Newsgroups: local.test, comp.lang.swift\r\n" + plain),
                ##"SELECT "#news.local.test""##, ##"COPY 1 "#news.comp.lang.swift""##, ##"MOVE 1 "#news.archive.ro""##,
                ##"DELETE "#news.local.test""##, ##"RENAME "#news.local.test" "Mine""##, ##"CREATE "#news.new""##,
                ##"STORE 1 +FLAGS (\Seen)"##,
                // Past the streaming threshold (the literal goes to a file first), and past POST's limit.
                Self.append(
                    "#news.local.test",
                    plain + String(repeating: "a long line of the article\r\n", count: 12_000)
                ),
                Self.append("#news.local.test", plain + String(repeating: "x", count: 1 << 20)),
            ]
            let answers = try await IMAPScript.run(port: port, user: Self.bob, password: Self.password, commands)
            try #require(answers.count == commands.count + 1)
            let validity = try await store.openNewsgroup("local.test").status().uidValidity
            #expect(answers[0].status == "OK", "\(answers[0].text)")
            #expect(answers[0].text.contains("[APPENDUID \(validity) 1]"), "\(answers[0].text)")
            // POST's checks, each a NO with its reason.
            #expect(answers[1].status == "NO" && answers[1].text.contains("does not name comp.lang.swift"))
            #expect(answers[2].status == "NO" && answers[2].text.contains("[CANNOT]"), "\(answers[2].text)")
            #expect(answers[2].text.contains("needs From and Subject"), "\(answers[2].text)")
            #expect(answers[3].status == "NO" && answers[3].text.contains("duplicate Message-ID"), "\(answers[3].text)")
            #expect(answers[4].status == "NO" && answers[4].text.contains("[NOPERM]"), "\(answers[4].text)")
            #expect(answers[4].text.contains("read-only"), "\(answers[4].text)")
            #expect(answers[5].status == "NO" && answers[5].text.contains("[NONEXISTENT]"), "\(answers[5].text)")
            // A cross-post naming the folder's group: stored in both, APPENDUID for the folder's.
            #expect(answers[6].status == "OK" && answers[6].text.contains("[APPENDUID "), "\(answers[6].text)")
            #expect(answers[7].text.contains("* 2 EXISTS") && answers[7].text.contains("[READ-ONLY]"))
            // Writes other than APPEND stay refused (MOVE out of a read-only group may be refused for that).
            #expect(answers[9].status == "NO", "\(answers[9].text)")
            for answer in [answers[8]] + answers[10...12] {
                #expect(answer.status == "NO" && answer.text.contains("[NOPERM]"), "\(answer.command): \(answer.text)")
            }
            #expect(answers[13].status == "NO" && answers[13].text.contains("[READ-ONLY]"), "\(answers[13].text)")
            #expect(answers[14].text.contains("[APPENDUID \(validity) 3]"), "\(answers[14].text)")
            #expect(answers[15].status == "NO" && answers[15].text.contains("[TOOBIG]"), "\(answers[15].text)")

            // The article as the injecting agent (RFC 5537 §3.5) stored it.
            let group = try await store.openNewsgroup("local.test")
            let stored = try #require(try await group.readMessages(uids: [1])[0])
            let text = String(decoding: stored, as: UTF8.self)
            #expect(text.contains("Newsgroups: local.test\r\n"), "\(text)")
            #expect(text.contains("Path: news.example.org!.POSTED!not-for-mail\r\n"), "\(text)")
            #expect(text.contains("Message-ID: <") && text.contains("@news.example.org>"), "\(text)")
            #expect(text.contains("Injection-Date: ") && text.contains("\r\nDate: "), "\(text)")
            #expect(text.contains(#"posting-account="bob@example.org"; posting-host="127.0.0.1""#), "\(text)")
            #expect(text.hasSuffix("\r\n\r\nAPPEND-BODY\r\n"), "\(text)")
            #expect(try await Self.articles("local.test", in: store).count == 3)
            #expect(try await Self.articles("comp.lang.swift", in: store).count == 2)
            #expect(try await Self.articles("archive.ro", in: store).isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(5)), arguments: StorageBackend.allCases)
    func anArticleStoredLaterIsSeenOnTheNextOpen(_ backend: StorageBackend) async throws {
        try await Self.withServer(backend) { store, port in
            let first = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [##"SELECT "#news.comp.lang.swift""##]
            )
            #expect(try Self.answer(first, ##"SELECT "#news.comp.lang.swift""##).text.contains("* 1 EXISTS"))
            // A second article, as NNTP's POST or SMTP's archive would store it.
            let second = Array(
                String(decoding: Self.article, as: UTF8.self)
                    .replacingOccurrences(of: "<first@", with: "<second@").utf8
            )
            _ = try await Self.post(second, to: "comp.lang.swift", in: store)
            let answers = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [##"EXAMINE "#news.comp.lang.swift""##, "FETCH 2 (BODY[HEADER.FIELDS (MESSAGE-ID)])"]
            )
            #expect(try Self.answer(answers, ##"EXAMINE "#news.comp.lang.swift""##).text.contains("* 2 EXISTS"))
            #expect(try Self.answer(answers, "FETCH 2 (BODY[HEADER.FIELDS (MESSAGE-ID)])").text.contains("<second@"))
        }
    }
}

/// The pure parts of `#news.`: names, the levels LIST shows, the NAMESPACE and NOPERM encodings.
@Suite(.offThePool) struct NewsNamespaceTests {
    @Test func groupNamesAndSubscriptionLevels() {
        #expect(NewsNamespace.group(IMAPMailboxName("#news.comp.lang.swift")) == "comp.lang.swift")
        #expect(NewsNamespace.group(IMAPMailboxName("#news.comp.")) == "comp")
        #expect(NewsNamespace.group(IMAPMailboxName("#news.")) == nil)
        #expect(NewsNamespace.group(IMAPMailboxName("#news")) == nil)
        #expect(NewsNamespace.group(IMAPMailboxName("news.comp")) == nil)
        #expect(NewsNamespace.isReserved(IMAPMailboxName("#news/x")))
        #expect(NewsNamespace.isReserved(IMAPMailboxName("#newsletters")))
        #expect(!NewsNamespace.isReserved(IMAPMailboxName("Archive/#news")))
        #expect(NewsNamespace.subscriptionLevels(group: "a.b") == ["#news", "a", "b"])
        #expect(NewsNamespace.group(subscriptionLevels: ["#news", "a", "b"]) == "a.b")
        #expect(NewsNamespace.group(subscriptionLevels: ["#news"]) == nil)
        #expect(NewsNamespace.group(subscriptionLevels: ["Archive", "a"]) == nil)
    }

    @Test func levelsAboveGroupsAreNoselectParents() {
        #expect(NewsNamespace.entries(groups: []).isEmpty)
        let entries = NewsNamespace.entries(groups: ["comp.lang.swift", "comp", "local.test"])
        let shown = entries.map { "\($0.name.name) \($0.group ?? "-") \($0.hasChildren)" }
        #expect(
            shown == [
                "#news - true", "#news.comp comp true", "#news.comp.lang - true",
                "#news.comp.lang.swift comp.lang.swift false", "#news.local - true",
                "#news.local.test local.test false",
            ]
        )
    }

    @Test func namespaceAndNoPermEncodings() {
        let shared = [SharedNamespace(prefix: "#news.", delimiter: ".")]
        #expect(
            encoded(.untagged(.namespace(personalPrefix: "", delimiter: "/", shared: shared)))
                == "* NAMESPACE ((\"\" \"/\")) NIL ((\"#news.\" \".\"))\r\n"
        )
        #expect(encoded(.tagged(tag: "a", .no, .noPerm, "read-only")) == "a NO [NOPERM] read-only\r\n")
    }

    @Test func patternsJoinWithTheNamespacesDelimiter() {
        #expect(MailStoreExecutor.canonicalPattern(reference: "#news.", "%") == "#news.%")
        #expect(MailStoreExecutor.canonicalPattern(reference: "#news", "%") == "#news.%")
        #expect(MailStoreExecutor.canonicalPattern(reference: "Work", "%") == "Work/%")
        #expect(MailStoreExecutor.canonicalPattern(reference: "Work", "#news.*") == "#news.*")
        #expect(!MailStoreExecutor.matches("#news.comp.lang", pattern: "#news.%", delimiter: "."))
        #expect(MailStoreExecutor.matches("#news.comp", pattern: "#news.%", delimiter: "."))
        #expect(MailStoreExecutor.matches("#news.comp.lang", pattern: "#news.*", delimiter: "."))
    }
}
