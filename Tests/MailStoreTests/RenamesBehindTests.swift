import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// A STORE's flag renames written behind its answer (`MaildirFolder+RenamesBehind.swift`): the records
/// change at once, each file keeps a name that exists until its rename, and the journal of the renames
/// owed is made good by the next open when the process stopped before them.
@Suite struct RenamesBehindTests {
    private let user = "flags@example.test"

    /// A user with `count` messages, their cache written; returns the folder's path and the UIDs.
    private func folderWithMessages(_ store: MailStore, _ count: Int) async throws -> (String, [UInt32]) {
        try store.createUserMaildir(user)
        let inbox = try await store.mailbox(user: user, name: .inbox)
        var uids: [UInt32] = []
        for n in 0..<count { uids.append(try await inbox.append(bytes: sampleMessage(n))) }
        await inbox.writeCache()
        return (store.root.path + "/\(user)", uids)
    }

    private func open(_ path: String) throws -> MaildirFolder {
        try MaildirFolder(path: path, name: .inbox) { 1 }
    }

    private func flagged(_ path: String) throws -> [String] {
        try files(in: path + "/cur").filter { MaildirFileName($0).flags.contains(.flagged) }
    }

    @Test func theRecordsChangeAtOnceAndAProcessThatStopsLeavesItsRenamesToTheNextOpen() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 3)
            var folder = try open(path)
            let result = try folder.setFlags(
                uids: [uids[0], uids[2]],
                flags: .flagged,
                keywords: [],
                operation: .add,
                behind: true
            )
            #expect(result.changed.map(\.uid) == [uids[0], uids[2]])
            #expect(result.changed.allSatisfy { $0.flags == .flagged })
            #expect(try flagged(path).isEmpty)  // not renamed yet
            #expect(FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            // Every record names a file that exists meanwhile.
            #expect(try folder.read(uid: uids[0]) == sampleMessage(0))

            // The process stops here; the next open makes the renames the journal names.
            let reopened = try open(path)
            #expect(try flagged(path).count == 2)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            #expect(reopened.records.map(\.flags) == [.flagged, [], .flagged])
            #expect(try reopened.read(uid: uids[2]) == sampleMessage(2))
        }
    }

    /// A change to a message whose rename is still owed starts from the flags its record has, and
    /// replaces the rename: set and cleared again, no file is renamed; set, then another flag, one rename.
    @Test func aChangeBeforeTheRenamesReplacesThem() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 2)
            let before = try files(in: path + "/cur").sorted()
            var folder = try open(path)
            _ = try folder.setFlags(uids: uids, flags: .flagged, keywords: [], operation: .add, behind: true)
            let cleared = try folder.setFlags(
                uids: [uids[0]],
                flags: .flagged,
                keywords: [],
                operation: .remove,
                behind: true
            )
            #expect(cleared.changed.map(\.uid) == [uids[0]] && cleared.changed.first?.flags == [])
            let seen = try folder.setFlags(
                uids: [uids[1]],
                flags: .seen,
                keywords: ["Work"],
                operation: .add,
                behind: true
            )
            #expect(seen.changed.first?.flags == [.flagged, .seen] && seen.changed.first?.keywords == ["Work"])
            #expect(folder.renamesBehind.count == 1)
            // The journal names what is owed now, not the rename cancelled.
            let journal = try String(contentsOfFile: path + "/" + MaildirFolder.renameJournalName, encoding: .utf8)
            #expect(journal.split(separator: "\0").count == 2 && journal.hasSuffix(":2,FSa\0"))
            #expect(try files(in: path + "/cur").sorted() == before)

            #expect(folder.writeRenamesBehind().isEmpty)
            #expect(
                try files(in: path + "/cur").sorted()
                    == [before[0], MaildirFileName(before[1]).base + ":2,FSa"].sorted()
            )
            _ = try folder.setFlags(uids: [uids[1]], flags: .flagged, keywords: [], operation: .remove, behind: true)
            _ = try folder.setFlags(uids: [uids[1]], flags: .flagged, keywords: [], operation: .add, behind: true)
            #expect(folder.renamesBehind.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            #expect(try open(path).records.map(\.flags) == [[], [.flagged, .seen]])
        }
    }

    /// A STORE on a few messages renames before it answers (a journal would cost more than the renames),
    /// and only its own: renames another change owes keep their turns, and the journal loses its line.
    @Test func aSmallStoreRenamesAtOnceAndLeavesOtherOwedRenamesOwed() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 3)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            #expect(uids.count < MailStoreDefaults.renamesBehindThreshold)
            try await inbox.setFlags(uids: [uids[0]], flags: .flagged, operation: .add)
            #expect(try flagged(path).count == 1)  // before any turn could run
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))

            var folder = try open(path)
            _ = try folder.setFlags(uids: uids, flags: .seen, keywords: [], operation: .add, behind: true)
            _ = try folder.setFlags(uids: [uids[1]], flags: .answered, keywords: [], operation: .add)
            #expect(folder.renamesBehind.keys.sorted() == [uids[0], uids[2]])
            #expect(try files(in: path + "/cur").filter { $0.hasSuffix(":2,RS") }.count == 1)
            let journal = try String(contentsOfFile: path + "/" + MaildirFolder.renameJournalName, encoding: .utf8)
            #expect(journal.split(separator: "\0").count == 4)
            #expect(folder.writeRenamesBehind().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            #expect(try open(path).records.map(\.flags) == [[.flagged, .seen], [.answered, .seen], .seen])
        }
    }

    /// A journal that cannot be written again goes, and every rename owed is made at once.
    ///
    /// Left as it was, it named a rename the next change cancelled, which the next open (after a
    /// crash) made. The journal is a symbolic link here: its old text can be read, and it cannot be opened for
    /// writing (`O_NOFOLLOW`), as on a disk that fails writes.
    @Test func aJournalThatCannotBeWrittenAgainGoesAndTheRenamesAreMadeAtOnce() async throws {
        try await withStore { store, directory in
            let (path, uids) = try await folderWithMessages(store, 3)
            let journal = path + "/" + MaildirFolder.renameJournalName
            func makeJournalUnwritable() throws {
                let text = directory.url.appendingPathComponent("journal-text").path
                try? FileManager.default.removeItem(atPath: text)
                if FileManager.default.fileExists(atPath: journal) {
                    try FileManager.default.moveItem(atPath: journal, toPath: text)
                } else {
                    FileManager.default.createFile(atPath: text, contents: Data())
                }
                try FileManager.default.createSymbolicLink(atPath: journal, withDestinationPath: text)
            }
            var folder = try open(path)
            _ = try folder.setFlags(uids: uids, flags: .flagged, keywords: [], operation: .add, behind: true)
            #expect(try flagged(path).isEmpty)
            try makeJournalUnwritable()

            // Cancels the first message's owed rename; the journal still names it.
            _ = try folder.setFlags(uids: [uids[0]], flags: .flagged, keywords: [], operation: .remove)
            #expect(folder.renamesBehind.isEmpty)
            #expect(try flagged(path).count == 2)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: journal)) == nil)
            #expect(try open(path).records.map(\.flags) == [[], .flagged, .flagged])  // as after a crash

            // A big STORE whose journal cannot be written renames before its answer.
            try makeJournalUnwritable()
            let result = try folder.setFlags(uids: uids, flags: .seen, keywords: [], operation: .add, behind: true)
            #expect(result.changed.count == 3)
            #expect(folder.renamesBehind.isEmpty)
            #expect(try files(in: path + "/cur").filter { MaildirFileName($0).flags.contains(.seen) }.count == 3)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: journal)) == nil)
            #expect(try folder.read(uid: uids[1]) == sampleMessage(1))
            #expect(try open(path).records.map(\.flags) == [.seen, [.flagged, .seen], [.flagged, .seen]])
        }
    }

    /// The turns write the journal again only once what is owed has halved: in between it names
    /// renames made already, and a replay after a stop there skips them (their old names are gone)
    /// and makes the rest.
    @Test func theTurnsWriteTheJournalAgainOnlyOnceWhatIsOwedHasHalved() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 40)
            let journalPath = path + "/" + MaildirFolder.renameJournalName
            func journaled() throws -> Int {
                try String(contentsOfFile: journalPath, encoding: .utf8).split(separator: "\0").count / 2
            }
            var folder = try open(path)
            _ = try folder.setFlags(uids: uids, flags: .flagged, keywords: [], operation: .add, behind: true)
            #expect(try journaled() == 40)
            #expect(folder.writeRenamesBehind(count: 15).isEmpty)
            #expect(folder.renamesBehind.count == 25)
            #expect(try journaled() == 40)
            #expect(try flagged(path).count == 15)
            #expect(folder.writeRenamesBehind(count: 5).isEmpty)
            #expect(try journaled() == 20)  // 20 of 40: halved
            #expect(folder.writeRenamesBehind(count: 2).isEmpty)
            #expect(try journaled() == 20)

            // The process stops here; the next open makes the 18 renames left and skips the 2 made.
            let reopened = try open(path)
            #expect(try flagged(path).count == 40)
            #expect(!FileManager.default.fileExists(atPath: journalPath))
            #expect(reopened.records.allSatisfy { $0.flags == .flagged })
        }
    }

    @Test func aTurnTakesTheLowestUIDsOwed() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 3, 64, 200] {
            for size in [0, 1, 5, 64, 65, 1_000] {
                let uids = Set((0..<size).map { _ in UInt32.random(in: 1...5_000, using: &generator) })
                #expect(MaildirFolder.lowest(count, of: uids) == Array(uids.sorted().prefix(count)))
            }
        }
    }

    @Test func aJournalRenamesOnlyWithinCurAndKeepsEachMessagesBase() async throws {
        try await withStore { store, _ in
            let (path, _) = try await folderWithMessages(store, 4)
            let names = try files(in: path + "/cur").sorted()
            let base = names.map { MaildirFileName($0).base }
            let entries = [
                (names[0], base[0] + ":2,F"),  // the one rename made
                (names[1], base[2] + ":2,F"),  // another message's base
                (names[2], "../" + base[2] + ":2,F"),  // out of cur/
                ("1.gone:2,", "1.gone:2,F"),  // no such file
                (names[3], names[2]),  // over an existing file
            ]
            var journal = entries.flatMap { [$0.0, $0.1] }.joined(separator: "\0") + "\0"
            journal += names[1]  // a last entry cut short
            try Data(journal.utf8).write(to: URL(fileURLWithPath: path + "/" + MaildirFolder.renameJournalName))

            let reopened = try open(path)
            #expect(try files(in: path + "/cur").sorted() == ([base[0] + ":2,F"] + names.dropFirst()).sorted())
            #expect(try files(in: path).filter { $0.hasPrefix(base[2]) }.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            #expect(reopened.records.filter { $0.flags == .flagged }.map(\.base) == [base[0]])
            #expect(reopened.records.filter { $0.flags.isEmpty }.count == 3)
        }
    }

    @Test func anotherProgramsRenameBeforeOursIsWhatTheNextScanKeeps() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 2)
            var folder = try open(path)
            _ = try folder.setFlags(uids: [uids[0]], flags: .flagged, keywords: [], operation: .add, behind: true)
            let old = try #require(folder.records.first?.fileName)
            let theirs = MaildirFileName(old).base + ":2,S"
            try FileManager.default.moveItem(atPath: path + "/cur/" + old, toPath: path + "/cur/" + theirs)

            #expect(folder.writeRenamesBehind().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            let changes = try folder.synchronize(proving: true)
            #expect(changes.flagsChanged.map(\.uid) == [uids[0]])
            #expect(folder.records.first?.flags == .seen && folder.records.first?.fileName == theirs)
            #expect(try files(in: path + "/cur").contains(theirs))
        }
    }

    @Test func aRenameThatFailsTakesTheFlagsBack() async throws {
        try await withStore { store, _ in
            let (path, uids) = try await folderWithMessages(store, 2)
            var folder = try open(path)
            let old = try #require(folder.records.first?.fileName)
            // A non-empty directory where the new name would go: rename(2) cannot replace it.
            let blocker = path + "/cur/" + MaildirFileName(old).base + ":2,T"
            try FileManager.default.createDirectory(atPath: blocker + "/x", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: blocker) }

            _ = try folder.setFlags(uids: [uids[0]], flags: .deleted, keywords: [], operation: .add, behind: true)
            #expect(folder.records.first?.flags == .deleted)
            let reverted = folder.writeRenamesBehind()
            #expect(reverted.map(\.uid) == [uids[0]] && reverted.first?.flags == [])
            #expect(folder.records.first?.flags == [] && folder.records.first?.fileName == old)
            #expect(try files(in: path + "/cur").contains(old))
            // Made at once (not behind), the failure is the caller's.
            #expect(throws: MailStoreError.self) {
                try folder.setFlags(uids: [uids[0]], flags: .deleted, keywords: [], operation: .add)
            }
            #expect(folder.records.first?.flags == [])
        }
    }

    /// RENAME INBOX moves its files into a new folder; the journal would stay behind, so the renames
    /// owed are made before the files move.
    @Test func renamingInboxRightAfterAStoreMovesTheFilesRenamed() async throws {
        try await withStore { store, _ in
            let count = MailStoreDefaults.renamesBehindPerTurn * 2 + 5
            let (_, uids) = try await folderWithMessages(store, count)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            try await inbox.setFlags(uids: uids, flags: .flagged, operation: .add)
            try await store.renameMailbox(user: user, from: .inbox, to: MailboxName(["Old"]))
            let old = try await store.mailbox(user: user, name: MailboxName(["Old"]))
            let records = await old.snapshot()
            #expect(records.count == count && records.allSatisfy { $0.flags == .flagged })
        }
    }

    /// COPY right after a STORE: the names the copy links must not be renamed while it waits for
    /// the destination, so the renames owed are made first.
    @Test func aCopyRightAfterAStoreLinksEveryFile() async throws {
        try await withStore { store, _ in
            let count = MailStoreDefaults.renamesBehindPerTurn * 4 + 5
            let (_, uids) = try await folderWithMessages(store, count)
            let archive = try MailboxName(["Kept"])
            try await store.createMailbox(user: user, name: archive)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let destination = try await store.mailbox(user: user, name: archive)
            try await inbox.setFlags(uids: uids, flags: .seen, operation: .add)
            let pairs = try await inbox.copy(uids: uids, to: destination)
            #expect(pairs.count == count)
            #expect(await destination.snapshot().allSatisfy { $0.flags == .seen })
        }
    }

    @Test func aMailboxRenamesEverythingItOwedByTheTimeItsCacheIsWritten() async throws {
        try await withStore { store, _ in
            let count = MailStoreDefaults.renamesBehindPerTurn * 2 + 5
            let (path, uids) = try await folderWithMessages(store, count)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let changed = try await inbox.setFlags(uids: uids, flags: .flagged, operation: .add)
            #expect(changed.count == count && changed.allSatisfy { $0.flags == .flagged })
            // A session reads every message meanwhile, renamed or not yet.
            let read = await inbox.readMessages(uids: uids)
            #expect(read.count == count && read.allSatisfy { $0 != nil })

            await inbox.writeCache()  // what a stopping server calls
            #expect(try flagged(path).count == count)
            #expect(!FileManager.default.fileExists(atPath: path + "/" + MaildirFolder.renameJournalName))
            #expect(await inbox.snapshot().allSatisfy { MaildirFileName($0.fileName).flags == .flagged })
            let cache = try #require(MetadataCache.read(path + "/" + MetadataCache.fileName))
            #expect(cache.entries.values.allSatisfy { MaildirFileName($0.fileName).flags == .flagged })
        }
    }
}
