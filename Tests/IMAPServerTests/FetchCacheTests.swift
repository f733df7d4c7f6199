import Foundation
import Logging
import MailStore
import MailTestSupport
import Testing

@testable import IMAPServer

/// Collects what a command sends through its sink.
private actor Collected {
    var responses: [IMAPResponse] = []
    func add(_ more: [IMAPResponse]) { responses += more }
    func take() -> [IMAPResponse] {
        defer { responses = [] }
        return responses
    }
}

/// One session's executor on a store, run command by command as text.
private struct Session {
    let executor: MailStoreExecutor
    let collected = Collected()
    static let user = "carol@example.org"

    init(store: MailStore) {
        executor = MailStoreExecutor(store: store, users: store, logger: Logger(label: "fetch-cache-test"))
    }

    /// Runs `line` and returns everything it answered, encoded.
    func run(_ line: String) async throws -> String {
        let parsed = try #require(command("a " + line))
        let request = ExecutionRequest(tag: "a", command: parsed, user: Self.user, condStore: false)
        let sink = ResponseSink { [collected] in await collected.add($0) }
        let outcome = await executor.execute(request, sink: sink)
        let all = await collected.take() + outcome.responses
        return String(decoding: IMAPResponseEncoder.encode(all), as: UTF8.self)
    }
}

private let multipart = Array(
    ("From: Alice <alice@example.org>\r\nTo: carol@example.org\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n"
        + "Date: Tue, 5 Mar 2024 10:20:30 +0100\r\nMIME-Version: 1.0\r\n"
        + "Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
        + "--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        + "--xx\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
        + "--xx--\r\n").utf8
)

@Suite(.offThePool) struct FetchCacheTests {
    private func withStore(_ body: (MailStore, URL) async throws -> Void) async throws {
        try await TemporaryDirectory.with(prefix: "fetch-cache") { directory in
            let store = MailStore(root: directory.url)
            try store.createUserMaildir(Session.user)
            try await body(store, directory.url)
        }
    }

    @Test func cachedItemsAnswerExactlyAsComputedOnesAndAfterARestart() async throws {
        try await withStore { store, root in
            _ = try await store.deliver(bytes: multipart, to: [Session.user])
            let fetch = "FETCH 1 (ENVELOPE BODYSTRUCTURE BODY BODY.PEEK[HEADER.FIELDS (Subject)])"
            let first = Session(store: store)
            _ = try await first.run("SELECT INBOX")
            let computed = try await first.run(fetch)
            #expect(computed.contains("BODYSTRUCTURE ((\"text\" \"plain\""))
            #expect(computed.contains("ENVELOPE (\"Tue, 5 Mar 2024 10:20:30 +0100\""))
            #expect(try await first.run(fetch) == computed)
            let inbox = try await store.mailbox(user: Session.user, name: .inbox)
            await inbox.writeCache()
            let restarted = Session(store: MailStore(root: root))
            _ = try await restarted.run("SELECT INBOX")
            #expect(try await restarted.run(fetch) == computed)
        }
    }

    /// A header sync's fields are kept as the section it answers, not as whole headers; the answer is
    /// the same computed, from the cache, after a restart, and with the cache file damaged or deleted.
    @Test func headerFieldsAreKeptAsTheirSectionAndRebuiltWhenTheCacheIsLost() async throws {
        try await withStore { store, root in
            for _ in 0..<3 { _ = try await store.deliver(bytes: multipart, to: [Session.user]) }
            // No FLAGS: a restarted store's sessions see no \Recent.
            let fetch = "UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (Subject From Date)] ENVELOPE)"
            let first = Session(store: store)
            _ = try await first.run("SELECT INBOX")
            let computed = try await first.run(fetch)
            #expect(computed.contains("BODY[HEADER.FIELDS (SUBJECT FROM DATE)] {105}\r\nFrom: Alice"))
            #expect(computed.contains("Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"))
            #expect(!computed.contains("MIME-Version"))
            // The same set in another order and case answers the same fields from the same values.
            let reordered = try await first.run("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (date SUBJECT from)])")
            #expect(reordered.contains("From: Alice <alice@example.org>\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n"))
            // One set asked for twice in one FETCH: both sections answered, from one value.
            let twice = try await first.run("FETCH 2 (BODY.PEEK[HEADER.FIELDS (Date)] BODY.PEEK[HEADER.FIELDS (DATE)])")
            #expect(twice.components(separatedBy: "Date: Tue, 5 Mar 2024 10:20:30 +0100\r\n").count == 3)
            let inbox = try await store.mailbox(user: Session.user, name: .inbox)
            await inbox.writeCache()
            let path = root.path + "/\(Session.user)/correo-derived"
            let kept = try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            #expect(kept.contains("imap-hf-1-"))
            #expect(!kept.contains("MIME-Version"))
            #expect(try await first.run(fetch) == computed)
            let restarted = Session(store: MailStore(root: root))
            _ = try await restarted.run("SELECT INBOX")
            #expect(try await restarted.run(fetch) == computed)
            // Damaged (its values cut short), then gone: rebuilt from the messages, answering as before.
            for damage in [
                { try Data(kept.utf8.prefix(kept.utf8.count - 40)).write(to: URL(fileURLWithPath: path)) },
                { try FileManager.default.removeItem(atPath: path) },
            ] as [() throws -> Void] {
                try damage()
                let again = Session(store: MailStore(root: root))
                _ = try await again.run("SELECT INBOX")
                #expect(try await again.run(fetch) == computed)
            }
        }
    }

    /// RFC 3501 §2.3.3: INTERNALDATE is the file's mtime, read when first asked for (a folder's first
    /// scan reads no date), kept in the cache, and the same after a restart and with the cache deleted.
    @Test func internalDatesOfAFolderNeverOpenedAreTheFilesTimesWhenAskedFor() async throws {
        try await withStore { store, root in
            let cur = root.path + "/\(Session.user)/cur/"
            let text = Array("Subject: dated\r\n\r\nbody\r\n".utf8)
            // Names begin with other seconds than the mtimes, as Dovecot's APPEND names them.
            for (n, seconds) in [(1, 1_577_934_245), (2, 1_623_064_000)] {
                let path = cur + "1700000000.M\(n)P1.other,S=\(text.count),W=\(text.count):2,"
                try Data(text).write(to: URL(fileURLWithPath: path))
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSince1970: TimeInterval(seconds))],
                    ofItemAtPath: path
                )
            }
            let session = Session(store: store)
            _ = try await session.run("SELECT INBOX")
            #expect(try await session.run("FETCH 1:* (FLAGS)").contains("* 2 FETCH (FLAGS ())"))
            let inbox = try await store.mailbox(user: Session.user, name: .inbox)
            #expect(await inbox.snapshot().allSatisfy { $0.internalDate == nil })
            #expect(try await session.run("SEARCH SINCE 1-Jan-2021").contains("* SEARCH 2\r\n"))
            #expect(try await session.run("SEARCH BEFORE 1-Jan-2021").contains("* SEARCH 1\r\n"))
            let dates = try await session.run("FETCH 1:* (INTERNALDATE)")
            #expect(dates.contains("* 1 FETCH (INTERNALDATE \"02-Jan-2020 03:04:05 +0000\")"))
            #expect(dates.contains("* 2 FETCH (INTERNALDATE \"07-Jun-2021 11:06:40 +0000\")"))
            await inbox.writeCache()
            let cache = try String(contentsOfFile: root.path + "/\(Session.user)/correo-cache", encoding: .utf8)
            #expect(cache.contains("\t1577934245\t") && cache.contains("\t1623064000\t"))
            let restarted = Session(store: MailStore(root: root))
            _ = try await restarted.run("SELECT INBOX")
            #expect(try await restarted.run("FETCH 1:* (INTERNALDATE)") == dates)
            try FileManager.default.removeItem(atPath: root.path + "/\(Session.user)/correo-cache")
            let uncached = Session(store: MailStore(root: root))
            _ = try await uncached.run("SELECT INBOX")
            #expect(try await uncached.run("FETCH 1:* (INTERNALDATE)") == dates)
        }
    }

    /// RFC 3501 §6.4.5 end to end through the store: BODY[] sets \Seen and reports the new FLAGS;
    /// BODY.PEEK[] and a mailbox opened with EXAMINE leave it.
    @Test func bodyFetchSetsSeenButPeekAndExamineDoNot() async throws {
        try await withStore { store, _ in
            for _ in 0..<2 { _ = try await store.deliver(bytes: multipart, to: [Session.user]) }
            let examining = Session(store: store)
            _ = try await examining.run("EXAMINE INBOX")
            #expect(!(try await examining.run("FETCH 1 BODY[HEADER.FIELDS (Subject)]")).contains("\\Seen"))
            let session = Session(store: store)
            _ = try await session.run("SELECT INBOX")
            #expect(!(try await session.run("FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]")).contains("\\Seen"))
            let fetched = try await session.run("FETCH 2 BODY[HEADER.FIELDS (Subject)]")
            #expect(fetched.hasPrefix("* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {"))
            #expect(fetched.contains(" FLAGS (\\Seen"))
            #expect(!(try await session.run("FETCH 1 FLAGS")).contains("\\Seen"))
            #expect(try await session.run("FETCH 2 FLAGS").contains("FLAGS (\\Seen"))
        }
    }

    /// A partial BODY.PEEK[] alone reads just that range (Thunderbird's chunked download); a range
    /// past the end is empty.
    @Test func aPartialWholeMessageFetchAnswersThatRange() async throws {
        try await withStore { store, _ in
            _ = try await store.deliver(bytes: multipart, to: [Session.user])
            let session = Session(store: store)
            _ = try await session.run("SELECT INBOX")
            #expect(
                try await session.run("FETCH 1 BODY.PEEK[]<6.5>").hasPrefix("* 1 FETCH (BODY[]<6> {5}\r\nAlice)\r\n")
            )
            #expect(
                try await session.run("FETCH 1 BODY.PEEK[]<100000.10>").hasPrefix("* 1 FETCH (BODY[]<100000> \"\")\r\n")
            )
        }
    }

    @Test func anExpungeHeldBackDuringFetchIsReportedAtTheNextNoop() async throws {
        try await withStore { store, _ in
            for _ in 0..<2 { _ = try await store.deliver(bytes: multipart, to: [Session.user]) }
            let session = Session(store: store)
            _ = try await session.run("SELECT INBOX")
            // Another session expunges message 1 while this one is fetching by sequence number.
            let inbox = try await store.mailbox(user: Session.user, name: .inbox)
            let uid = try #require(await inbox.snapshot().first?.uid)
            try await inbox.setFlags(uids: [uid], flags: .deleted, operation: .add)
            try await inbox.expunge()
            let fetched = try await session.run("FETCH 1:2 (FLAGS)")
            #expect(!fetched.contains("* 1 EXPUNGE"))
            #expect(try await session.run("NOOP").contains("* 1 EXPUNGE"))
            #expect(try await session.run("NOOP") == "a OK NOOP completed\r\n")
        }
    }

    @Test func searchBodyFindsWordsInAnyCaseAndInEncodedParts() async throws {
        try await withStore { store, _ in
            let encoded = Array(
                ("Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 Sp=\r\necial\r\n").utf8
            )
            for message in [multipart, encoded] {
                let results = try await store.deliver(bytes: message, to: [Session.user])
                #expect(results.filter(\.isDelivered).count == 1, "\(results)")
            }
            let session = Session(store: store)
            let selected = try await session.run("SELECT INBOX")
            let hello = try await session.run("SEARCH BODY hELLo")
            #expect(hello.hasPrefix("* SEARCH 1\r\n"), "\(selected) \(hello)")
            #expect(try await session.run("SEARCH BODY special").hasPrefix("* SEARCH 2\r\n"))
            #expect(try await session.run("SEARCH BODY caf").hasPrefix("* SEARCH 2\r\n"))
            #expect(try await session.run("SEARCH BODY absent").hasPrefix("* SEARCH\r\n"))
        }
    }

    /// A FETCH's chunks end where what it reads whole passes `wholeMessageRun`, however many the cache
    /// answers: the same answer read all whole, with a window half cached, and all from the cache.
    @Test func manyMessagesAnswerTheSameReadWholePartlyCachedOrFromTheCache() async throws {
        try await withStore { store, root in
            let big = Array(("Subject: big\r\n\r\n" + String(repeating: "0123456789abcde\r\n", count: 40_000)).utf8)
            for n in 0..<600 {
                _ = try await store.deliver(bytes: n % 150 == 7 ? big : multipart, to: [Session.user])
            }
            let fetch = "UID FETCH 1:* (UID BODYSTRUCTURE ENVELOPE)"
            let first = Session(store: store)
            _ = try await first.run("SELECT INBOX")
            let computed = try await first.run(fetch)
            #expect(computed.components(separatedBy: " FETCH (UID ").count == 601)
            let inbox = try await store.mailbox(user: Session.user, name: .inbox)
            await inbox.writeCache()
            try FileManager.default.removeItem(atPath: root.path + "/\(Session.user)/correo-derived")
            let restarted = Session(store: MailStore(root: root))
            _ = try await restarted.run("SELECT INBOX")
            _ = try await restarted.run("UID FETCH 100:450 (BODYSTRUCTURE)")
            #expect(try await restarted.run(fetch) == computed)
            #expect(try await restarted.run(fetch) == computed)
        }
    }

    @Test func aChunkTakesWholeMessagesUpToTheRunAndAtLeastOne() {
        typealias E = MailStoreExecutor
        let run = E.wholeMessageRun
        #expect(E.chunkCount([.nothing, .header, .nothing], size: { _ in .max }) == 3)
        #expect(E.chunkCount([.whole, .whole], size: { _ in run.bytes * 2 }) == 1)
        #expect(E.chunkCount([.header, .whole, .header, .whole, .header], size: { _ in run.bytes / 2 }) == 5)
        #expect(E.chunkCount([.header, .whole, .header, .whole, .whole], size: { _ in run.bytes / 2 }) == 4)
        let many = [FetchEngine.Need](repeating: .whole, count: run.count + 10)
        #expect(E.chunkCount(many, size: { _ in 1 }) == run.count)
        // The window doubles after a chunk that took all of it, and follows a chunk cut short.
        let full = E.ChunkContent(count: 256, cached: [], levels: [], contents: [])
        #expect(E.lookups(after: full, 256) == 512)
        #expect(E.lookups(after: E.ChunkContent(count: 1024, cached: [], levels: [], contents: []), 1024) == 1024)
        #expect(E.lookups(after: E.ChunkContent(count: 40, cached: [], levels: [], contents: []), 512) == 80)
        #expect(E.lookups(after: E.ChunkContent(count: 1, cached: [], levels: [], contents: []), 80) == 16)
    }
}
