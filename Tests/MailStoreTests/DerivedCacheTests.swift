import Foundation
import MailCore
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct DerivedCacheTests {
    private let user = "derived@example.test"

    @Test func headerSectionsAreReadOnceAndKeptAcrossARestart() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let message = sampleMessage(1, body: "Body text")
            let uid = try await inbox.append(bytes: message)
            let header = Array(message[0..<(message.count - "Body text 1\r\n".utf8.count)])
            #expect(await inbox.headerSections(uids: [uid, 999]) == [header, nil])
            await inbox.writeCache()
            #expect(FileManager.default.fileExists(atPath: directory.path + "/\(user)/" + DerivedCache.fileName))
            // Same size, other bytes: a restarted store answers from its cache without opening the file.
            let record = try #require(await inbox.snapshot().first)
            let path = directory.path + "/\(user)/cur/" + record.fileName
            var changed = message
            changed[0] = UInt8(ascii: "X")
            try Data(changed).write(to: URL(fileURLWithPath: path))
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.headerSections(uids: [uid]) == [header])
        }
    }

    @Test func headerSectionOfABareLineFeedFileIsServedWithCRLF() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            let text = "Subject: lf\nFrom: a@b.test\n\nbody\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory.path + "/\(user)/cur/1700000001.M1P1Q1.x:2,"))
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try #require(await inbox.snapshot().first?.uid)
            #expect(await inbox.headerSections(uids: [uid]) == [Array("Subject: lf\r\nFrom: a@b.test\r\n\r\n".utf8)])
        }
    }

    @Test func derivedValuesSurviveARestartAndRefuseBadKinds() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            await inbox.storeDerivedValues([(uid, Array("(\"TEXT\")".utf8)), (999, [1])], kind: "structure-1")
            await inbox.storeDerivedValues([(uid, [1])], kind: "two words")
            await inbox.storeDerivedValues([(uid, [1])], kind: Mailbox.headerKind)
            #expect(await inbox.derivedValues(uids: [uid], kind: "structure-1") == [Array("(\"TEXT\")".utf8)])
            #expect(await inbox.derivedValues(uids: [uid], kind: "two words") == [nil])
            #expect(await inbox.headerSections(uids: [uid]) != [[1]])
            await inbox.writeCache()
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.derivedValues(uids: [uid], kind: "structure-1") == [Array("(\"TEXT\")".utf8)])
        }
    }

    @Test func expungedMessagesLeaveTheFile() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1), flags: .deleted)
            await inbox.storeDerivedValues([(uid, [7])], kind: "k")
            try await inbox.expunge()
            await inbox.writeCache()
            var cache = DerivedCache(folder: directory.path + "/\(user)", limit: 1 << 20)
            cache.load(uidValidity: await inbox.uidValidity)
            #expect(cache.count == 0)
        }
    }

    @Test func valueForAFileOfAnotherSizeIsNotServed() {
        var cache = DerivedCache(folder: "/nonexistent", limit: 100)
        cache.set([1, 2, 3], base: "b", physicalSize: 10, kind: "k")
        #expect(cache.value(base: "b", physicalSize: 10, kind: "k") == [1, 2, 3])
        #expect(cache.value(base: "b", physicalSize: 11, kind: "k") == nil)
        // A new size replaces the entry's old values.
        cache.set([4], base: "b", physicalSize: 11, kind: "other")
        #expect(cache.value(base: "b", physicalSize: 11, kind: "k") == nil)
        #expect(cache.bytes == 1)
    }

    @Test func byteLimitKeepsNBytesAndRefusesNPlusOne() {
        var cache = DerivedCache(folder: "/nonexistent", limit: 10)
        let keptN = cache.set([UInt8](repeating: 1, count: 10), base: "a", physicalSize: 1, kind: "k")
        let keptNPlusOne = cache.set([1], base: "b", physicalSize: 1, kind: "k")
        #expect(keptN && !keptNPlusOne)
        #expect(cache.value(base: "b", physicalSize: 1, kind: "k") == nil)
        #expect(cache.bytes == 10)
    }

    /// A message keeps `kindsPerMessage` kinds, in memory and loaded from the file (with values added
    /// beside it); one more is refused, while a kind it has can still be replaced.
    @Test func aMessageKeepsAtMostItsKindsAndCanReplaceThem() async throws {
        try await TemporaryDirectory.with(prefix: "derived") { directory in
            let most = DerivedCache.kindsPerMessage
            var cache = DerivedCache(folder: directory.path, limit: 1 << 20)
            let kept = (0..<most).map { cache.set([UInt8($0)], base: "a", physicalSize: 1, kind: "k\($0)") }
            #expect(kept.allSatisfy { $0 })
            let oneMore = cache.set([9], base: "a", physicalSize: 1, kind: "one-more")
            let replaced = cache.set([7], base: "a", physicalSize: 1, kind: "k0")
            #expect(!oneMore && replaced)
            #expect(cache.value(base: "a", physicalSize: 1, kind: "one-more") == nil)
            #expect(cache.value(base: "a", physicalSize: 1, kind: "k0") == [7])
            // Loaded with all but two, then two added beside the file's: the next is refused.
            var partial = DerivedCache(folder: directory.path, limit: 1 << 20)
            for k in 0..<(most - 2) { partial.set([1], base: "b", physicalSize: 1, kind: "k\(k)") }
            try partial.save(uidValidity: 3)
            var loaded = DerivedCache(folder: directory.path, limit: 1 << 20)
            loaded.load(uidValidity: 3)
            let added = ["x", "y", "z"].map { loaded.set([2], base: "b", physicalSize: 1, kind: $0) }
            #expect(added == [true, true, false])
            let replacedAdded = loaded.set([3], base: "b", physicalSize: 1, kind: "y")
            #expect(replacedAdded)
            #expect(loaded.value(base: "b", physicalSize: 1, kind: "y") == [3])
            #expect(loaded.value(base: "b", physicalSize: 1, kind: "z") == nil)
            #expect(loaded.bytes == most)
        }
    }

    @Test func damagedOrForeignFilesAreNotBelieved() async throws {
        try await TemporaryDirectory.with(prefix: "derived") { directory in
            var cache = DerivedCache(folder: directory.path, limit: 1 << 20)
            cache.set(Array("first".utf8), base: "a", physicalSize: 5, kind: "k")
            cache.set(Array("second".utf8), base: "b", physicalSize: 6, kind: "k")
            try cache.save(uidValidity: 42)
            var other = DerivedCache(folder: directory.path, limit: 1 << 20)
            other.load(uidValidity: 43)
            #expect(other.count == 0)
            var same = DerivedCache(folder: directory.path, limit: 1 << 20)
            same.load(uidValidity: 42)
            #expect(same.count == 2)
            // Cut off inside the last value: the entries before the damage stay, the damaged one goes.
            let path = directory.path + "/" + DerivedCache.fileName
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 2).write(to: URL(fileURLWithPath: path))
            var cut = DerivedCache(folder: directory.path, limit: 1 << 20)
            cut.load(uidValidity: 42)
            #expect(cut.count == 1)
        }
    }

    @Test func entriesReadFromTheFileCanBeChangedPrunedAndWrittenAgain() async throws {
        try await TemporaryDirectory.with(prefix: "derived") { directory in
            var cache = DerivedCache(folder: directory.path, limit: 1 << 20)
            cache.set(Array("head-a".utf8), base: "a", physicalSize: 5, kind: "header")
            cache.set(Array("shape-a".utf8), base: "a", physicalSize: 5, kind: "shape")
            cache.set(Array("head-b".utf8), base: "b", physicalSize: 6, kind: "header")
            cache.set(Array("head-c".utf8), base: "c", physicalSize: 7, kind: "header")
            try cache.save(uidValidity: 9)
            var loaded = DerivedCache(folder: directory.path, limit: 1 << 20)
            loaded.load(uidValidity: 9)
            #expect(loaded.bytes == cache.bytes)
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "shape") == Array("shape-a".utf8))
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "body") == nil)
            #expect(loaded.value(base: "a", physicalSize: 4, kind: "header") == nil)
            // A new value for a loaded entry keeps its others; a pruned one goes; the rest is copied.
            loaded.set(Array("body-a".utf8), base: "a", physicalSize: 5, kind: "body")
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "header") == Array("head-a".utf8))
            loaded.prune { $0 != "b" }
            try loaded.save(uidValidity: 9)
            var again = DerivedCache(folder: directory.path, limit: 1 << 20)
            again.load(uidValidity: 9)
            #expect(again.count == 2)
            #expect(again.value(base: "a", physicalSize: 5, kind: "body") == Array("body-a".utf8))
            #expect(again.value(base: "a", physicalSize: 5, kind: "shape") == Array("shape-a".utf8))
            #expect(again.value(base: "b", physicalSize: 6, kind: "header") == nil)
            #expect(again.value(base: "c", physicalSize: 7, kind: "header") == Array("head-c".utf8))
            #expect(
                again.bytes == "head-a".utf8.count + "shape-a".utf8.count + "body-a".utf8.count + "head-c".utf8.count
            )
        }
    }

    @Test func valuesAddedToALoadedEntryAreKeptBesideItUntilItChanges() async throws {
        try await TemporaryDirectory.with(prefix: "derived") { directory in
            var cache = DerivedCache(folder: directory.path, limit: 1 << 20)
            cache.set(Array("head-a".utf8), base: "a", physicalSize: 5, kind: "header")
            cache.set(Array("head-b".utf8), base: "b", physicalSize: 6, kind: "header")
            try cache.save(uidValidity: 9)
            var loaded = DerivedCache(folder: directory.path, limit: 1 << 20)
            loaded.load(uidValidity: 9)
            // Added, then replaced, beside the file's values.
            let kept = [
                loaded.set(Array("x".utf8), base: "a", physicalSize: 5, kind: "field:subject"),
                loaded.set(Array("subject-a".utf8), base: "a", physicalSize: 5, kind: "field:subject"),
                loaded.set(Array("subject-b".utf8), base: "b", physicalSize: 6, kind: "field:subject"),
            ]
            #expect(kept == [true, true, true])
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "field:subject") == Array("subject-a".utf8))
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "header") == Array("head-a".utf8))
            #expect(loaded.value(base: "a", physicalSize: 6, kind: "field:subject") == nil)
            #expect(loaded.bytes == 6 + 6 + 9 + 9)
            // A value the file holds is changed: the entry leaves the file, its added value with it.
            loaded.set(Array("HEAD-A".utf8), base: "a", physicalSize: 5, kind: "header")
            #expect(loaded.value(base: "a", physicalSize: 5, kind: "field:subject") == Array("subject-a".utf8))
            // Another size: every value of the entry goes, added or not.
            loaded.set(Array("new".utf8), base: "b", physicalSize: 7, kind: "header")
            #expect(loaded.value(base: "b", physicalSize: 7, kind: "field:subject") == nil)
            #expect(loaded.bytes == 6 + 9 + 3)
            try loaded.save(uidValidity: 9)
            var again = DerivedCache(folder: directory.path, limit: 1 << 20)
            again.load(uidValidity: 9)
            #expect(again.value(base: "a", physicalSize: 5, kind: "header") == Array("HEAD-A".utf8))
            #expect(again.value(base: "a", physicalSize: 5, kind: "field:subject") == Array("subject-a".utf8))
            #expect(again.value(base: "b", physicalSize: 7, kind: "header") == Array("new".utf8))
            #expect(again.bytes == loaded.bytes)
            // Added to a loaded entry, then pruned with it; and saved beside the file's values.
            let keptToo = [
                again.set(Array("from-a".utf8), base: "a", physicalSize: 5, kind: "field:from"),
                again.set(Array("from-b".utf8), base: "b", physicalSize: 7, kind: "field:from"),
            ]
            #expect(keptToo == [true, true])
            again.prune { $0 != "b" }
            #expect(again.bytes == 6 + 9 + 6)
            try again.save(uidValidity: 9)
            var last = DerivedCache(folder: directory.path, limit: 1 << 20)
            last.load(uidValidity: 9)
            #expect(last.count == 1)
            #expect(last.value(base: "a", physicalSize: 5, kind: "field:from") == Array("from-a".utf8))
            #expect(last.bytes == again.bytes)
        }
    }

    /// The fields a SEARCH reads are kept per field; deleted or damaged, the cache is rebuilt and every
    /// answer is what cutting the fields out of the header gives.
    @Test func headerFieldsAreKeptPerFieldAndRebuiltWhenTheCacheIsLost() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let messages = [
                "Subject: one\r\nFrom: a@b.test\r\nsubject: two\r\n\tfolded\r\n\r\nSubject: body\r\n",
                "From: c@d.test\r\n\r\nno subject\r\n",
                "X-Subject: no\r\nSubject : spaced\r\n\r\n",
            ]
            var uids: [UInt32] = []
            for message in messages { uids.append(try await inbox.append(bytes: Array(message.utf8))) }
            uids.append(999)
            func expected(_ names: [String]) async -> [[UInt8]?] {
                await inbox.headerSections(uids: uids).map { header in
                    header.map { header in
                        names.flatMap { name in
                            header.withUnsafeBufferPointer { MessageHeader.fieldLines(named: [name], in: $0) }
                        }
                    }
                }
            }
            let subject = Array("Subject: one\r\nsubject: two\r\n\tfolded\r\n".utf8)
            // Through the protocol, as IMAP's SEARCH asks: the witness is Mailbox's own, which keeps them.
            let handle: any MailboxHandle = inbox
            let spaced = Array("Subject : spaced\r\n".utf8)
            #expect(try await handle.headerFields(uids: uids, named: ["Subject"]) == [subject, [], spaced, nil])
            // The headers the fields were cut from are not kept: only the fields are.
            #expect(await inbox.derivedValues(uids: uids, kind: Mailbox.headerKind) == [nil, nil, nil, nil])
            for names in [["Subject"], ["subject", "From"], ["From", "Date"], [""], ["Subject", ""]] {
                let cut = await expected(names)
                #expect(try await handle.headerFields(uids: uids, named: names) == cut, "\(names)")
            }
            let kept = await inbox.derivedValues(uids: uids, kind: "field:subject")
            #expect(kept == [subject, [], spaced, nil])
            // A made-up name (HEADER x-made-up) is answered, and not kept.
            let madeUp = try await handle.headerFields(uids: uids, named: ["X-Made-Up"])
            #expect(madeUp == [[], [], [], nil])
            #expect(await inbox.derivedValues(uids: uids, kind: "field:x-made-up") == [nil, nil, nil, nil])
            await inbox.writeCache()
            let path = directory.path + "/\(user)/" + DerivedCache.fileName
            for damage in ["delete", "truncate", "garble"] {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                switch damage {
                case "delete": try FileManager.default.removeItem(atPath: path)
                case "truncate": try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
                default:
                    try Data(bytes.map { $0 == UInt8(ascii: " ") ? UInt8(ascii: "#") : $0 }).write(
                        to: URL(fileURLWithPath: path)
                    )
                }
                let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
                let reopenedHandle: any MailboxHandle = reopened
                for names in [["Subject"], ["subject", "From"]] {
                    let fields = try await reopenedHandle.headerFields(uids: uids, named: names)
                    let cut = await expected(names)
                    #expect(fields == cut, "\(damage) \(names)")
                }
                await reopened.writeCache()
            }
        }
    }

    @Test func pendingChangesAreNilUntilSomethingChanges() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            let first = await inbox.pendingChanges(since: nil)
            #expect(first.records?.count == 1)
            #expect(await inbox.pendingChanges(since: first.changeCount).records == nil)
            _ = try await inbox.append(bytes: sampleMessage(2))
            #expect(await inbox.pendingChanges(since: first.changeCount).records?.count == 2)
        }
    }

    /// The loaded entries are found by a hash of their base checked against the base's bytes in the
    /// file: with every hash the same (no bits kept), each base still finds its own entry, and
    /// removing one leaves the others.
    @Test func storedEntriesAreFoundByTheirBaseWhateverTheHashes() {
        let bases = ["1700000000.M1P1.host", "1700000000.M2P1.host", "b", "1700000000.M1P1.hosu"]
        let file = Array(bases.joined().utf8)
        var offset = 0
        let entries = bases.enumerated().map { number, base in
            defer { offset += base.utf8.count }
            return DerivedCache.StoredEntry(
                base: offset..<offset + base.utf8.count,
                physicalSize: number,
                valueCount: 0,
                values: 0..<0,
                bytes: 0
            )
        }
        for mask in [UInt64.max, 0] {
            var index = DerivedCache.StoredIndex(hashMask: mask)
            file.withUnsafeBufferPointer { buffer in
                for entry in entries { index.insert(entry, in: buffer) }
                #expect(index.count == bases.count)
                for (number, base) in bases.enumerated() {
                    #expect(index.entry(base: base, in: buffer)?.physicalSize == number)
                }
                #expect(index.entry(base: "1700000000.M3P1.host", in: buffer) == nil)
                #expect(index.remove(base: bases[0], in: buffer)?.physicalSize == 0)
                #expect(index.entry(base: bases[0], in: buffer) == nil)
                #expect(index.entry(base: bases[3], in: buffer)?.physicalSize == 3)
                index.removeAll { $0.physicalSize == 1 }
                #expect(index.entries.map(\.physicalSize).sorted() == [2, 3])
            }
        }
    }

    /// The file lists the entries in the order given (the folder's, by UID), whether changed or loaded,
    /// then those the order leaves out; each once.
    @Test func theFileListsItsEntriesInTheOrderGiven() async throws {
        try await TemporaryDirectory.with(prefix: "derived") { directory in
            func bases() throws -> [String] {
                let text = String(
                    decoding: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + DerivedCache.fileName)),
                    as: UTF8.self
                )
                // Each value is "v" and a line end: an entry's line is the only one of three words.
                return text.split(separator: "\n").dropFirst().compactMap { line in
                    let words = line.split(separator: " ")
                    return words.count == 3 ? String(words[0]) : nil
                }
            }
            var cache = DerivedCache(folder: directory.path, limit: 1 << 20)
            for base in ["c", "a", "d", "b"] { cache.set(Array("v\n".utf8), base: base, physicalSize: 1, kind: "k") }
            try cache.write(uidValidity: 1, inOrderOf: ["a", "b", "a", "c", "gone"])
            #expect(try bases() == ["a", "b", "c", "d"])
            var loaded = DerivedCache(folder: directory.path, limit: 1 << 20)
            loaded.load(uidValidity: 1)
            loaded.set(Array("w\n".utf8), base: "b", physicalSize: 1, kind: "k")
            try loaded.write(uidValidity: 1, inOrderOf: ["d", "c", "b"])
            #expect(try bases() == ["d", "c", "b", "a"])
            var again = DerivedCache(folder: directory.path, limit: 1 << 20)
            again.load(uidValidity: 1)
            #expect(again.count == 4 && again.value(base: "b", physicalSize: 1, kind: "k") == Array("w\n".utf8))
        }
    }
}
