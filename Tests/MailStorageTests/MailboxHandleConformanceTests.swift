import Foundation
import MailStorage
import MailTestSupport
import Testing

/// `MailboxHandle` (RFC 3501 APPEND, STORE, EXPUNGE, COPY, RFC 6851 MOVE, RFC 7162 mod-sequences) as
/// every backend must answer it.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct MailboxHandleConformanceTests {
    static let user = "ana@example.com"
    var user: String { Self.user }
    /// Whole seconds: every backend keeps at least that much of an INTERNALDATE.
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    static func message(_ number: Int) -> [UInt8] {
        Array("From: bo@example.com\r\nTo: \(user)\r\nSubject: message \(number)\r\n\r\nbody \(number)\r\n".utf8)
    }

    /// A user and their INBOX with `count` messages (unflagged), opened.
    static func inbox(
        _ store: any MailStorageBackend,
        messages count: Int
    ) async throws -> any MailboxHandle {
        try await store.addUser(user, password: "secret")
        let inbox = try await store.openMailbox(user: user, name: .inbox)
        for number in 0..<count {
            _ = try await inbox.append(bytes: message(number + 1), flags: [], keywords: [], internalDate: date)
        }
        return inbox
    }

    @Test(arguments: StorageBackend.allCases)
    func appendedMessagesKeepTheirBytesFlagsKeywordsAndDate(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Self.inbox(store, messages: 0)
            let empty = try await inbox.status()
            #expect(empty.messages == 0 && empty.uidNext == 1 && empty.uidValidity > 0)
            var uids: [UInt32] = []
            for number in 1...3 {
                uids.append(
                    try await inbox.append(
                        bytes: Self.message(number),
                        flags: number == 2 ? [.seen, .flagged] : [],
                        keywords: number == 3 ? ["Work"] : [],
                        internalDate: Self.date.addingTimeInterval(Double(number))
                    )
                )
            }
            #expect(uids == [1, 2, 3])
            let status = try await inbox.status()
            #expect(status.messages == 3 && status.uidNext == 4 && status.uidValidity == empty.uidValidity)
            let listed = try await inbox.messages(changedSince: 0)
            #expect(listed.map(\.uid) == [1, 2, 3])
            #expect(listed.map(\.flags) == [[], [.seen, .flagged], []])
            #expect(listed.map(\.keywords) == [[], [], ["Work"]])
            #expect(listed.map(\.size) == (1...3).map { Self.message($0).count })
            #expect(listed.map(\.internalDate) == (1...3).map { Self.date.addingTimeInterval(Double($0)) })
            #expect(Set(listed.map(\.modSeq)).count == 3, "each APPEND its own mod-sequence")
            #expect(listed.map(\.modSeq).max() == status.highestModSeq)
            #expect(try await inbox.readMessage(uid: 2) == Self.message(2))
            await #expect(throws: MailStoreError.messageNotFound(uid: 9)) { try await inbox.readMessage(uid: 9) }
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func storeChangesOnlyWhatChangesUnderANewModSeq(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Self.inbox(store, messages: 3)
            let before = try await inbox.status().highestModSeq
            let flagged = try await inbox.changeFlags(uids: [1, 3, 7], flags: .flagged, keywords: [], operation: .add)
            #expect(flagged.map(\.uid) == [1, 3], "UID 7 does not exist")
            #expect(flagged.allSatisfy { $0.flags == .flagged && $0.modSeq > before })
            let afterFlag = try await inbox.status().highestModSeq
            #expect(afterFlag > before)
            #expect(try await inbox.messages(changedSince: before).map(\.uid) == [1, 3])

            // Nothing changes: no new mod-sequence.
            let again = try await inbox.changeFlags(uids: [1], flags: .flagged, keywords: [], operation: .add)
            #expect(again.map(\.uid) == [1])
            #expect(try await inbox.status().highestModSeq == afterFlag)
            #expect(try await inbox.messages(changedSince: afterFlag).isEmpty)

            let replaced = try await inbox.changeFlags(uids: [1], flags: .seen, keywords: ["Work"], operation: .replace)
            #expect(replaced.map(\.flags) == [.seen] && replaced.map(\.keywords) == [["Work"]])
            let removed = try await inbox.changeFlags(
                uids: [1, 3],
                flags: .flagged,
                keywords: ["Work"],
                operation: .remove
            )
            #expect(removed.map(\.flags) == [.seen, []] && removed.map(\.keywords) == [[], []])
            #expect(try await inbox.messages(changedSince: 0).map(\.flags) == [.seen, [], []])
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func expungeRemovesDeletedMessagesAndUIDsAreNeverReused(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Self.inbox(store, messages: 4)
            _ = try await inbox.changeFlags(uids: [1, 3], flags: .deleted, keywords: [], operation: .add)
            let before = try await inbox.status().highestModSeq
            // UID EXPUNGE: only those among the UIDs given that are \Deleted.
            #expect(try await inbox.expunge(uids: [3, 4]) == [3])
            #expect(try await inbox.expunge(uids: nil) == [1])
            #expect(try await inbox.expunge(uids: nil) == [])
            #expect(try await inbox.messages(changedSince: 0).map(\.uid) == [2, 4])
            let status = try await inbox.status()
            #expect(status.messages == 2 && status.uidNext == 5)
            #expect(status.highestModSeq > before, "RFC 7162 3.1.2: an expunge raises HIGHESTMODSEQ")
            #expect(
                try await inbox.append(bytes: Self.message(5), flags: [], keywords: [], internalDate: Self.date) == 5
            )
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func copyAndMoveKeepFlagsKeywordsDateAndBytes(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Self.inbox(store, messages: 3)
            _ = try await inbox.changeFlags(uids: [1], flags: [.seen, .answered], keywords: ["Work"], operation: .add)
            let archive = try await store.openMailbox(user: user, name: try MailboxName(["Archive"]))

            let copied = try await inbox.copyMessages(uids: [1, 3, 9], to: archive)
            #expect(copied.map(\.0) == [1, 3] && copied.map(\.1) == [1, 2])
            let originals = try await inbox.messages(changedSince: 0)
            let copies = try await archive.messages(changedSince: 0)
            #expect(copies.map(\.flags) == [originals[0].flags, originals[2].flags])
            #expect(copies.map(\.keywords) == [["Work"], []])
            #expect(copies.map(\.internalDate) == [Self.date, Self.date])
            #expect(try await archive.readMessage(uid: 2) == Self.message(3))

            let moved = try await inbox.moveMessages(uids: [2], to: archive)
            #expect(moved.map(\.0) == [2] && moved.map(\.1) == [3])
            #expect(try await inbox.messages(changedSince: 0).map(\.uid) == [1, 3])
            #expect(try await archive.status().messages == 3)
            #expect(try await archive.readMessage(uid: 3) == Self.message(2))
            await #expect(throws: MailStoreError.messageNotFound(uid: 2)) { try await inbox.readMessage(uid: 2) }
        }
    }

    /// IDLE's source: a change made through another handle of the same mailbox is signalled, and what
    /// the reader then looks at shows it.
    @Test(arguments: StorageBackend.allCases)
    func aChangeThroughAnotherHandleIsSignalled(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let watcher = try await Self.inbox(store, messages: 1)
            let writer = try await store.openMailbox(user: user, name: .inbox)
            let heard = SignalCount(await watcher.changeSignals())
            defer { heard.stop() }
            let before = try await watcher.status().highestModSeq
            let uid = try await writer.append(bytes: Self.message(2), flags: [], keywords: [], internalDate: Self.date)
            #expect(try await heard.reaches(1), "no signal for the APPEND")
            #expect(try await watcher.messages(changedSince: before).map(\.uid).contains(uid))
            let afterAppend = try await watcher.status().highestModSeq
            let count = heard.count
            _ = try await writer.changeFlags(uids: [1], flags: .flagged, keywords: [], operation: .add)
            #expect(try await heard.reaches(count + 1), "no signal for the STORE")
            #expect(try await watcher.messages(changedSince: afterAppend).map(\.uid) == [1])
        }
    }

    /// RFC 3501 2.3.2: a keyword is an atom; one that is not is refused whole, and nothing changes.
    @Test(arguments: StorageBackend.allCases)
    func aKeywordThatIsNoAtomIsRefused(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            let inbox = try await Self.inbox(store, messages: 1)
            for bad in [
                "two words", "a]b", "\\Seen", "(x)", "", String(repeating: "k", count: Keyword.maximumBytes + 1),
            ] {
                await #expect(throws: MailStoreError.invalidKeyword(bad)) {
                    try await inbox.changeFlags(uids: [1], flags: .seen, keywords: ["ok", bad], operation: .add)
                }
                await #expect(throws: MailStoreError.invalidKeyword(bad)) {
                    try await inbox.append(bytes: Self.message(2), flags: [], keywords: [bad], internalDate: Self.date)
                }
            }
            let messages = try await inbox.messages(changedSince: 0)
            #expect(messages.map(\.uid) == [1])
            #expect(messages.map(\.flags) == [[]] && messages.map(\.keywords) == [[]])
            let longest = String(repeating: "k", count: Keyword.maximumBytes)
            let kept = try await inbox.changeFlags(
                uids: [1],
                flags: [],
                keywords: ["$Label1", longest],
                operation: .add
            )
            #expect(kept.map(\.keywords) == [["$Label1", longest]])
        }
    }

    @Test(arguments: StorageBackend.allCases)
    func aMailboxThatDoesNotExistCannotBeOpened(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await store.addUser(user, password: "secret")
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                try await store.openMailbox(user: user, name: try MailboxName(["Nope"]))
            }
        }
    }
}
