import Foundation
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct MailboxTests {
    private let user = "box@example.test"

    @Test func appendKeepsFlagsDateAndBytes() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            let uid = try await inbox.append(bytes: sampleMessage(1), flags: [.seen, .draft], internalDate: date)
            #expect(uid == 1)
            let record = try #require(await inbox.snapshot().first)
            #expect(record.flags == [.seen, .draft])
            #expect(record.internalDate == date)
            #expect(record.fileName.hasSuffix(":2,DS"))
            #expect(try await inbox.readMessage(uid: uid) == sampleMessage(1))
            #expect(await inbox.uidNext == 2)
        }
    }

    /// A session in step with the mailbox gets the token of the state after its STORE; one that is not
    /// (another change came between) gets none, and its next look brings every message.
    @Test func aStoreInStepWithTheMailboxReturnsTheTokenAfterIt() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...3 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            let look = await inbox.look(since: nil, claimRecent: true)
            let stored = try await inbox.changeFlags(
                uids: [2],
                flags: .flagged,
                keywords: [],
                operation: .add,
                since: look.token
            )
            #expect(stored.messages.map(\.uid) == [2])
            let token = try #require(stored.token)
            let after = await inbox.look(since: token, claimRecent: true)
            #expect(after.token == token && after.messages == nil)
            // Another change between the session's look and its STORE: no token.
            _ = try await inbox.setFlags(uids: [3], flags: .seen, operation: .add)
            let behind = try await inbox.changeFlags(
                uids: [1],
                flags: .seen,
                keywords: [],
                operation: .add,
                since: token
            )
            #expect(behind.token == nil)
            #expect(await inbox.look(since: token, claimRecent: true).messages?.count == 3)
        }
    }

    @Test func setFlagsRenamesWithSortedInfoAndKeepsKeywords() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            let before = await inbox.highestModSeq
            // The records hold the new flags at once; the files are renamed behind the answer.
            func fileName() async -> String? {
                await inbox.writeRenamesBehind()
                return await inbox.snapshot().first?.fileName
            }
            var records = try await inbox.setFlags(uids: [uid], flags: [.seen, .flagged], operation: .add)
            #expect(records.first?.flags == [.seen, .flagged])
            #expect(await fileName()?.hasSuffix(":2,FS") == true)
            #expect(try #require(records.first).modSeq > before)
            records = try await inbox.setFlags(
                uids: [uid],
                flags: [],
                keywords: ["$Forwarded", "Work"],
                operation: .add
            )
            #expect(records.first?.keywords == ["$Forwarded", "Work"])
            #expect(await fileName()?.hasSuffix(":2,FSab") == true)
            let keywordsFile = try String(contentsOfFile: directory.path + "/\(user)/dovecot-keywords", encoding: .utf8)
            #expect(keywordsFile == "0 $Forwarded\n1 Work\n")
            records = try await inbox.setFlags(uids: [uid], flags: [.seen], keywords: ["work"], operation: .remove)
            #expect(records.first?.flags == [.flagged])
            #expect(records.first?.keywords == ["$Forwarded"])
            records = try await inbox.setFlags(uids: [uid], flags: [.answered], operation: .replace)
            #expect(records.first?.flags == [.answered] && records.first?.keywords == [])
            await #expect(throws: MailStoreError.invalidKeyword("bad word")) {
                try await inbox.setFlags(uids: [uid], flags: [], keywords: ["bad word"], operation: .add)
            }
            // Reopened from disk (another process), the flags are the same.
            let other = MailStore(root: directory.url)
            #expect(try await other.mailbox(user: user, name: .inbox).snapshot().first?.flags == [.answered])
            #expect(await fileName()?.hasSuffix(":2,R") == true)
        }
    }

    @Test func keywordLettersRunOutAtTwentySix() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            let allowed = (0..<MailStoreDefaults.maximumKeywordsPerMailbox).map { "k\($0)" }
            let records = try await inbox.setFlags(uids: [uid], flags: [], keywords: allowed, operation: .add)
            #expect(records.first?.keywords.count == 26)
            await #expect(throws: MailStoreError.tooManyKeywords("INBOX")) {
                try await inbox.setFlags(uids: [uid], flags: [], keywords: ["one-too-many"], operation: .add)
            }
        }
    }

    @Test func expungeRemovesOnlyDeletedAndNeverReusesUIDs() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...4 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            try await inbox.setFlags(uids: [2, 3, 4], flags: .deleted, operation: .add)
            #expect(try await inbox.expunge(uids: [2, 3]) == [2, 3])
            #expect(await inbox.snapshot().map(\.uid) == [1, 4])
            #expect(try await inbox.expunge() == [4])
            #expect(await inbox.snapshot().map(\.uid) == [1])
            #expect(try files(in: directory.path + "/\(user)/cur").count == 1)
            #expect(try await inbox.append(bytes: sampleMessage(5)) == 5)
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.snapshot().map(\.uid) == [1, 5])
            #expect(await reopened.uidNext == 6)
        }
    }

    @Test func copyAndMoveGiveNewUIDsInDestination() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let archive = try await store.mailbox(user: user, name: MailboxName(["Archive"]))
            for n in 1...3 { _ = try await inbox.append(bytes: sampleMessage(n), flags: n == 1 ? .flagged : []) }
            try await inbox.setFlags(uids: [1], flags: [], keywords: ["Work"], operation: .add)
            let copied = try await inbox.copy(uids: [1, 2], to: archive)
            #expect(copied.map(\.0) == [1, 2] && copied.map(\.1) == [1, 2])
            let archived = await archive.snapshot()
            #expect(archived.first?.flags == .flagged && archived.first?.keywords == ["Work"])
            #expect(try await archive.readMessage(uid: 2) == sampleMessage(2))
            #expect(await inbox.snapshot().count == 3)

            let moved = try await inbox.move(uids: [3], to: archive)
            #expect(moved.map(\.1) == [3])
            #expect(await inbox.snapshot().map(\.uid) == [1, 2])
            #expect(try await archive.readMessage(uid: 3) == sampleMessage(3))
            let again = try await inbox.copy(uids: [1], to: inbox)
            #expect(again.map(\.1) == [4])
        }
    }

    @Test func sameMailboxIsSharedWithinAProcess() async throws {
        try await withStore { store, _ in
            let first = try await store.mailbox(user: user, name: .inbox)
            let second = try await store.mailbox(user: user.uppercased(), name: try MailboxName(["inbox"]))
            #expect(first === second)
        }
    }

    @Test func missingMailboxIsNotFound() async throws {
        try await withStore { store, _ in
            await #expect(throws: MailStoreError.mailboxNotFound("Nope")) {
                _ = try await store.mailbox(user: user, name: MailboxName(["Nope"]))
            }
        }
    }
}

@Suite(.offThePool) struct MailboxChangesTests {
    private func record(_ uid: UInt32, _ flags: MessageFlags = []) -> MessageRecord {
        MessageRecord(
            uid: uid,
            flags: flags,
            size: 10,
            internalDate: Date(timeIntervalSince1970: 0),
            fileName: "m\(uid)"
        )
    }

    @Test func differenceReportsExpungedAppendedAndFlagChanges() {
        let old = [record(1), record(2), record(3)]
        let new = [record(1, .seen), record(3), record(4)]
        let changes = MailboxChanges.difference(from: old, to: new)
        #expect(changes.expunged == [2])
        #expect(changes.appended.map(\.uid) == [4])
        #expect(changes.flagsChanged.map(\.uid) == [1])
        #expect(MailboxChanges.difference(from: new, to: new).isEmpty)
    }
}
