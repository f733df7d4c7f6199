import Foundation
import MailStorage
import MailTestSupport
import PostgresStore
import Testing

/// What a selected mailbox reads through `MailboxHandle` (IMAP SELECT, NOOP, IDLE, FETCH, SEARCH), as
/// every backend must answer it.
///
/// `\Recent` is left out: a Maildir folder gives it to the messages it found in new/, the PostgreSQL
/// store to none (RFC 9051 dropped it), so no answer is common to both. The looks here do not claim it.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct MailboxHandleReadTests {
    typealias Fixture = MailboxHandleConformanceTests
    static let kind = "bodystructure"
    /// More than two of the PostgreSQL store's chunks, so that reads cross chunk boundaries.
    static let bigSize = PostgresStoreDefaults.chunkBytes * 5 / 2

    /// A message of about `size` bytes of numbered CRLF lines after a short header.
    static func big(size: Int = bigSize, header: String = "Subject: big\r\n") -> [UInt8] {
        var bytes = Array("From: bo@example.com\r\n\(header)\r\n".utf8)
        var line = 0
        while bytes.count < size {
            bytes += Array("line \(line) of a long message, to fill the chunks\r\n".utf8)
            line += 1
        }
        return bytes
    }

    /// The bytes up to and including the blank line.
    static func header(of bytes: [UInt8]) -> [UInt8] {
        let blank = Array("\r\n\r\n".utf8)
        let end = (0...(bytes.count - blank.count)).first { Array(bytes[$0..<$0 + blank.count]) == blank }
        return Array(bytes[..<(end.map { $0 + blank.count } ?? bytes.count)])
    }

    @Test(arguments: StorageBackend.allCases)
    func aLookSeesEveryChangeAndNothingWhenTheTokenIsCurrent(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 2)
            let first = try await inbox.look(since: nil, claimRecent: false)
            #expect(first.messages?.map(\.uid) == [1, 2])
            #expect(first.status.messages == 2 && first.status.uidNext == 3)
            let same = try await inbox.look(since: first.token, claimRecent: false)
            #expect(same.token == first.token && same.messages == nil, "no change, no messages")
            #expect(same.status == first.status)

            _ = try await inbox.append(bytes: Fixture.message(3), flags: [], keywords: [], internalDate: Fixture.date)
            let appended = try await inbox.look(since: first.token, claimRecent: false)
            #expect(appended.token != first.token)
            #expect(appended.messages?.map(\.uid) == [1, 2, 3] && appended.status.uidNext == 4)
            #expect(try await inbox.look(since: appended.token, claimRecent: false).messages == nil)

            _ = try await inbox.changeFlags(uids: [2], flags: .deleted, keywords: [], operation: .add)
            let flagged = try await inbox.look(since: appended.token, claimRecent: false)
            #expect(flagged.token != appended.token)
            #expect(flagged.messages?.map(\.flags) == [[], .deleted, []])
            #expect(flagged.status.highestModSeq > appended.status.highestModSeq)
            #expect(try await inbox.look(since: flagged.token, claimRecent: false).messages == nil)

            #expect(try await inbox.expunge(uids: nil) == [2])
            let expunged = try await inbox.look(since: flagged.token, claimRecent: false)
            #expect(expunged.token != flagged.token)
            #expect(expunged.messages?.map(\.uid) == [1, 3] && expunged.status.messages == 2)
            #expect(try await inbox.look(since: expunged.token, claimRecent: false).messages == nil)
        }
    }

    /// FETCH of bodies asks once for the records and the first chunk's messages: the same answers as
    /// the two calls, the run cut by count and bytes, the first message read whatever its size.
    @Test(arguments: StorageBackend.allCases)
    func recordsWithARunOfWholeMessagesAnswerAsTheTwoCallsDo(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 3)
            let big = try await inbox.append(bytes: Self.big(), flags: [], keywords: [], internalDate: Fixture.date)
            let uids: [UInt32] = [3, 9, 1, big, 2]
            let records = try await inbox.messages(uids: uids, withInternalDates: true)
            let whole = try await inbox.readMessages(uids: uids)
            let small = records[0]?.size ?? 0
            // The two small ones before the big one (the missing one counts nothing), with room to spare.
            let beforeBig = small + (records[2]?.size ?? 0) + 1
            for run in [
                WholeMessageRun(count: 256, bytes: beforeBig),  // up to the big one, which does not fit
                WholeMessageRun(count: 2, bytes: 1 << 30),  // two: the first and the missing one
                WholeMessageRun(count: 256, bytes: small - 1),  // the first alone, though bigger
                WholeMessageRun(count: 256, bytes: 1 << 30),  // everything
            ] {
                let both = try await inbox.messages(uids: uids, withInternalDates: true, readingWhole: run)
                #expect(both.records == records)
                let taken = run.end(in: records)
                var expected: [UInt32: [UInt8]] = [:]
                for (uid, bytes) in zip(uids, whole).prefix(taken) { expected[uid] = bytes }
                #expect(both.contents == expected, "run \(run): \(taken) taken")
            }
            #expect(WholeMessageRun(count: 256, bytes: beforeBig).end(in: records) == 3)
            #expect(WholeMessageRun(count: 256, bytes: small - 1).end(in: records) == 1)
            #expect(WholeMessageRun(count: 256, bytes: 1 << 30).end(in: records) == 5)
            #expect(WholeMessageRun(count: 2, bytes: 1 << 30).end(in: records) == 2)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func messagesByUIDFollowTheOrderAskedWithNilForAMissingOne(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 3)
            _ = try await inbox.changeFlags(uids: [3], flags: .seen, keywords: ["Work"], operation: .add)
            let all = try await inbox.messages(changedSince: 0)
            let asked = try await inbox.messages(uids: [3, 9, 1])
            #expect(asked == [all[2], nil, all[0]])
            #expect(asked.first??.keywords == ["Work"] && asked.first??.flags == .seen)
            #expect(try await inbox.messages(uids: []).isEmpty)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func headerSectionsEndWithTheBlankLine(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 2)
            // A header longer than a chunk: its section spans two of the PostgreSQL store's chunks.
            let filler = String(repeating: "X-Filler: \(String(repeating: "x", count: 70))\r\n", count: 4000)
            let longHeader = Self.big(size: PostgresStoreDefaults.chunkBytes * 2, header: filler)
            let long = try await inbox.append(bytes: longHeader, flags: [], keywords: [], internalDate: Fixture.date)
            let big = try await inbox.append(bytes: Self.big(), flags: [], keywords: [], internalDate: Fixture.date)

            let headers = try await inbox.headerSections(uids: [2, 9, 1, long, big])
            #expect(headers.count == 5)
            #expect(headers[0] == Self.header(of: Fixture.message(2)))
            #expect(headers[0].map { String(decoding: $0, as: UTF8.self).hasSuffix("message 2\r\n\r\n") } == true)
            #expect(headers[1] == nil, "UID 9 does not exist")
            #expect(headers[2] == Self.header(of: Fixture.message(1)))
            #expect(headers[3] == Self.header(of: longHeader))
            #expect((headers[3]?.count ?? 0) > PostgresStoreDefaults.chunkBytes)
            #expect(headers[4] == Self.header(of: Self.big()))
            #expect(try await inbox.headerSections(uids: []).isEmpty)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func wholeMessagesAreReadInTheOrderAsked(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 2)
            let bytes = Self.big()
            let big = try await inbox.append(bytes: bytes, flags: [], keywords: [], internalDate: Fixture.date)
            let read = try await inbox.readMessages(uids: [big, 9, 1, 2])
            #expect(read.count == 4)
            #expect(read[0] == bytes, "a message of several chunks, whole")
            #expect(read[1] == nil)
            #expect(read[2] == Fixture.message(1) && read[3] == Fixture.message(2))
            #expect(try await inbox.readMessages(uids: []).isEmpty)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func partialReadsAreClampedToTheMessage(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 1)
            let bytes = Self.big()
            let uid = try await inbox.append(bytes: bytes, flags: [], keywords: [], internalDate: Fixture.date)
            let chunk = PostgresStoreDefaults.chunkBytes
            let ranges: [Range<Int>] = [
                0..<10, 100..<200, chunk - 5..<chunk + 5, chunk..<2 * chunk, chunk + 7..<chunk + 8,
                chunk - 1..<2 * chunk + 1, 10..<bytes.count, 0..<bytes.count, 30..<30,
            ]
            for range in ranges {
                let read = try await inbox.readMessage(uid: uid, range: range)
                #expect(read == Array(bytes[range]), "BODY[]<\(range.lowerBound).\(range.count)>")
            }
            // Clamped at the end, or wholly past it.
            #expect(
                try await inbox.readMessage(uid: uid, range: bytes.count - 10..<bytes.count + 100) == bytes.suffix(10)
            )
            #expect(try await inbox.readMessage(uid: uid, range: bytes.count + 5..<bytes.count + 10) == [])
            #expect(try await inbox.readMessage(uid: uid, range: 0..<Int.max) == bytes)
            let small = Fixture.message(1)
            #expect(try await inbox.readMessage(uid: 1, range: 5..<1000) == Array(small[5...]))
            await #expect(throws: MailStoreError.messageNotFound(uid: 9)) {
                try await inbox.readMessage(uid: 9, range: 0..<10)
            }
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func derivedValuesAreKeptUntilReplaced(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 2)
            #expect(try await inbox.derivedValues(uids: [1, 2], kind: Self.kind) == [nil, nil])
            try await inbox.storeDerivedValues([], kind: Self.kind)
            try await inbox.storeDerivedValues([(uid: 1, value: [1, 2, 3]), (uid: 9, value: [9])], kind: Self.kind)
            #expect(try await inbox.derivedValues(uids: [1, 2, 9], kind: Self.kind) == [[1, 2, 3], nil, nil])
            #expect(try await inbox.derivedValues(uids: [1], kind: "envelope") == [nil], "another kind")

            try await inbox.storeDerivedValues([(uid: 1, value: [4]), (uid: 2, value: [5, 6])], kind: Self.kind)
            await inbox.flushCaches()
            #expect(try await inbox.derivedValues(uids: [2, 1], kind: Self.kind) == [[5, 6], [4]])
            #expect(try await inbox.derivedValues(uids: [], kind: Self.kind).isEmpty)
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func identityNamesOneMailboxWhateverTheHandle(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Fixture.inbox(store, messages: 1)
            let again = try await store.openMailbox(user: Fixture.user, name: .inbox)
            let archive = try await store.openMailbox(user: Fixture.user, name: try name("Archive"))
            #expect(inbox.identity == again.identity)
            #expect(inbox.identity != archive.identity)
            try await again.refresh()
            #expect(try await again.messages(uids: [1]).map { $0?.uid } == [1])
        }
    }
}
