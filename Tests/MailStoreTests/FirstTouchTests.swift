import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// The byte-level readers a restarted server runs over every message of a folder it opens (file
/// names, `correo-cache`, `correo-uidlist`): they read what the String-based ones read, and a damaged
/// index is rebuilt with the same answers.
@Suite(.offThePool) struct FirstTouchTests {
    private let user = "first@example.test"

    @Test func fileNamesSplitAsBefore() {
        let plain = MaildirFileName("1700000001.M1P1Q1.host,S=1234,W=1260:2,FRSa")
        #expect(plain.base == "1700000001.M1P1Q1.host,S=1234,W=1260")
        #expect(plain.infoLetters == Array("FRSa".utf8))
        #expect(plain.flags == [.flagged, .answered, .seen])
        #expect(plain.keywordIndexes == [0])
        #expect(plain.physicalSize == 1234 && plain.virtualSize == 1260)
        #expect(plain.deliverySeconds == 1_700_000_001)

        let bare = MaildirFileName("1700000001.M1P1Q1.host")
        #expect(bare.base == "1700000001.M1P1Q1.host" && bare.infoLetters.isEmpty)
        #expect(bare.physicalSize == nil && bare.virtualSize == nil && bare.flags == [])

        // Info of another version than 2 carries no letters; only the first ':' splits.
        let other = MaildirFileName("b,S=5:1,S")
        #expect(other.base == "b,S=5" && other.infoLetters.isEmpty && other.physicalSize == 5)
        #expect(MaildirFileName("b:2,T:x").infoLetters == Array("T:x".utf8))
        #expect(MaildirFileName("b:2,T").flags == .deleted && MaildirFileName("b:2,D").flags == .draft)

        // The first ",S=" decides, digits only, an overflow is no size.
        #expect(MaildirFileName("b,S=,S=7,W=x").physicalSize == nil)
        #expect(MaildirFileName("b,W=9,S=12abc").physicalSize == 12)
        #expect(MaildirFileName("b,W=9,S=12abc").virtualSize == 9)
        #expect(MaildirFileName("b,S=99999999999999999999999").physicalSize == nil)
        #expect(MaildirFileName("bS=4,s=5").physicalSize == nil)
        #expect(MaildirFileName("héllo,S=42:2,S").physicalSize == 42)
        #expect(MaildirFileName("héllo,S=42:2,S").base == "héllo,S=42")
        // Both sizes at once, as the first scan reads them: only when both are there.
        #expect(MaildirFileName.sizes(ofBase: "b,W=9,S=12abc")! == (12, 9))
        #expect(MaildirFileName.sizes(ofBase: "héllo,S=42,W=44")! == (42, 44))
        #expect(MaildirFileName.sizes(ofBase: "b,S=,S=7,W=9") == nil)
        #expect(MaildirFileName.sizes(ofBase: "b,S=12") == nil)
        #expect(MaildirFileName.sizes(ofBase: "b,S=1,W") == nil)
    }

    @Test func flagsAndKeywordsReadInPlaceAsTheParsedName() {
        let names = [
            "1700000001.M1P1Q1.host,S=1234,W=1260:2,FRSa", "b", "b:2,", "b:2,DFRST", "b:2,zyxa", "b:2,aa",
            "b:1,S", "b:2,T:x", "b:2,Pq", "héllo,S=42:2,Sb", "b:2,S:2,F", ":2,F", "b:3,", "b:2", "b:",
        ]
        for name in names {
            let parsed = MaildirFileName(name)
            let inPlace = MaildirFileName.flagsAndKeywords(of: name)
            #expect(inPlace.flags == parsed.flags, "\(name)")
            #expect(inPlace.keywordIndexes == parsed.keywordIndexes, "\(name)")
        }
    }

    @Test func uidListLinesReadAsBefore() async throws {
        try await TemporaryDirectory.with(prefix: "uidlist") { directory in
            let text = """
                correo-uidlist 1 V77 N3
                1 one
                0 zero
                x2 letters
                +2 two
                99999999999 overflow
                4 four:with colon

                """
            try text.write(toFile: directory.path + "/" + UIDList.fileName, atomically: true, encoding: .utf8)
            var list = try UIDList(folder: directory.path) { 1 }
            #expect(list.uidValidity == 77)
            #expect(list.uids == ["one": 1, "two": 2, "four:with colon": 4])
            #expect(list.nextUID == 5)
            let numbers = [
                "0", "+7", "-7", "-0", "12x", "", "+", "-", "9223372036854775807", "-9223372036854775808",
                "9223372036854775808", "-9223372036854775809", "1 2", "٣",
            ]
            for text in numbers {
                #expect(DecimalDigits.integer(Array(text.utf8)) == Int(text), "\(text)")
            }
            for value in [0, 7, -7, 10, 1_796_433_722_017_880, Int.max, Int.min] {
                var written: [UInt8] = []
                DecimalDigits.append(value, to: &written)
                #expect(written == Array(String(value).utf8))
            }
            var largest: [UInt8] = []
            DecimalDigits.append(UInt64.max, to: &largest)
            #expect(largest == Array(String(UInt64.max).utf8))
        }
    }

    /// What a session sees of a message, without the mod-sequence (a rebuilt cache line gets a new one).
    private struct Answer: Equatable {
        var uid: UInt32
        var flags: MessageFlags
        var keywords: [String]
        var size: Int
        var physicalSize: Int
        var internalDate: Date?
        var fileName: String

        init(_ record: MessageRecord) {
            uid = record.uid
            flags = record.flags
            keywords = record.keywords
            size = record.size
            physicalSize = record.physicalSize
            internalDate = record.internalDate
            fileName = record.fileName
        }
    }

    /// Ways to damage `correo-cache`, each of which must cost a rebuild and change no answer.
    static let damages: [(String, @Sendable (String) -> String)] = [
        ("deleted", { _ in "" }),
        ("cut in a line", { String($0.prefix($0.count * 2 / 3)) }),
        ("garbage lines", { $0 + "garbage\n\t\t\t\n\n" + "x\ty\tz\t1\t2\t3\t4\n" }),
        ("non-digits", { $0.replacingOccurrences(of: "\t-1\n", with: "\t-1x\n") }),
        ("too many fields", { $0.replacingOccurrences(of: "\t-1\n", with: "\t-1\t5\n") }),
        ("another validity", { $0.replacingOccurrences(of: " V", with: " V1") }),
        ("no newline after the header", { $0.replacingOccurrences(of: "\n", with: " ") }),
        ("a stamp of other times", { $0.replacingOccurrences(of: "stamp\t", with: "stamp\t1") }),
        ("a garbled stamp", { $0.replacingOccurrences(of: "stamp\t", with: "stamp\tx\t") }),
    ]

    /// Sets the times of new/, cur/ and the uidlist a minute back, so the next scan's stamp is trusted
    /// (and written into `correo-cache`), as on a folder nobody touched for a while.
    static func backdate(_ folder: String) throws {
        let past = Date().addingTimeInterval(-60)
        for path in [folder + "/new", folder + "/cur", folder + "/" + UIDList.fileName]
        where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path)
        }
    }

    @Test(arguments: 0..<FirstTouchTests.damages.count)
    func damagedMetadataCacheIsRebuiltWithTheSameAnswers(_ damage: Int) async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...12 {
                _ = try await inbox.append(
                    bytes: sampleMessage(n),
                    flags: n % 3 == 0 ? [.seen, .answered] : [],
                    keywords: n % 4 == 0 ? ["$Work"] : [],
                    internalDate: Date(timeIntervalSince1970: TimeInterval(1_600_000_000 + n * 3600))
                )
            }
            // A file written with LF only: its CRLF size comes from reading it when the cache is gone.
            let folder = directory.path + "/\(user)"
            // Written whole and then named in cur/ (.atomic: a temporary file, then a rename), as Maildir
            // asks: a scan the appends left running could otherwise see the file still empty and keep
            // its size as 0.
            let lfFile = URL(fileURLWithPath: folder + "/cur/1700000000.lf:2,S")
            try Data("Subject: lf\n\nbody\n".utf8).write(to: lfFile, options: .atomic)
            try await inbox.synchronize()
            try Self.backdate(folder)
            try await inbox.synchronize()
            await inbox.writeCache()
            let before = try await inbox.datedSnapshot()
            #expect(before.count == 13)
            let cachePath = folder + "/" + MetadataCache.fileName
            let written = try String(contentsOfFile: cachePath, encoding: .utf8)
            #expect(written.contains("\nstamp\t"))
            let (name, damaged) = Self.damages[damage]
            if damaged(written).isEmpty {
                try FileManager.default.removeItem(atPath: cachePath)
            } else {
                try damaged(written).write(toFile: cachePath, atomically: true, encoding: .utf8)
            }

            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            let after = try await reopened.datedSnapshot()
            #expect(after.map(Answer.init) == before.map(Answer.init), "cache \(name)")
            #expect(await reopened.uidValidity == inbox.uidValidity)
            #expect(await reopened.uidNext == inbox.uidNext)
            // The lines the damage spared keep their mod-sequences; HIGHESTMODSEQ never goes down.
            #expect(await reopened.highestModSeq >= inbox.highestModSeq)
            // Rebuilt: written again, whole, and read back by a third process with the same answers.
            await reopened.writeCache()
            var rebuilt = MetadataCache(folder: folder)
            rebuilt.load(uidValidity: await reopened.uidValidity)
            #expect(rebuilt.entries.count == 13, "cache \(name)")
            let third = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await third.snapshot() == after)
        }
    }

    @Test func aFolderUnchangedSinceItsCacheOpensWithoutAScanAndAChangedOneIsScanned() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            await inbox.setSettleDelay(.milliseconds(10))
            for n in 1...6 {
                _ = try await inbox.append(
                    bytes: sampleMessage(n),
                    flags: n % 2 == 0 ? [.seen] : [],
                    keywords: n == 3 ? ["$Work"] : []
                )
            }
            let folder = directory.path + "/\(user)"
            try Self.backdate(folder)
            try await inbox.synchronize()
            await inbox.writeCache()
            let before = await inbox.snapshot()
            // The settle scheduled when the folder was opened must be over before the hidden file
            // below is in cur/ with cur/'s time not yet put back: it would give the file a UID, moving
            // the uidlist's time, and the next process would rightly scan (a loaded CI machine hit it).
            #expect(try await Self.noSettlePending(inbox))

            // Unchanged times: the view comes from the cache, exactly as the scan gave it. The proof
            // that cur/ was not listed: a file slipped in with cur/'s time put back is not seen.
            let cur = folder + "/cur"
            // The timespec itself is put back, not a Date made of it: the stamp compares nanoseconds.
            let curTime = try #require(POSIX.status(cur)).st_mtim
            try Data("Subject: hidden\r\n\r\nx\r\n".utf8).write(to: URL(fileURLWithPath: cur + "/1700000099.hidden:2,"))
            var times = [curTime, curTime]
            #expect(utimensat(AT_FDCWD, cur, &times, 0) == 0)
            let trusted = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await trusted.snapshot() == before)

            // Another program changes the folder (a flag, a new file, a removal): cur/'s time moves,
            // and the next process scans and sees what a process without any cache sees.
            let files = before.map(\.fileName)
            try FileManager.default.moveItem(atPath: cur + "/" + files[0], toPath: cur + "/" + files[0] + "F")
            try FileManager.default.removeItem(atPath: cur + "/" + files[1])
            try Data("Subject: new\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: cur + "/1700000100.other:2,S"))
            let scanned = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            let after = try await scanned.datedSnapshot().map(Answer.init)
            #expect(after.count == 7)
            #expect(after.contains { $0.fileName == files[0] + "F" && $0.flags.contains(.flagged) })
            #expect(!after.contains { $0.fileName == files[1] })
            #expect(after.contains { $0.fileName == "1700000099.hidden:2," })
            try FileManager.default.removeItem(atPath: folder + "/" + MetadataCache.fileName)
            let uncached = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(try await uncached.datedSnapshot().map(Answer.init) == after)
        }
    }

    @Test func aFolderNeverOpenedIsMeasuredSideBySideWithTheSameAnswersAsOneByOne() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            let cur = directory.path + "/\(user)/cur/"
            // Enough files for several measuring threads; every third has no sizes in its name and
            // one is written with bare LFs, so some are read; each has its own mtime (the INTERNALDATE).
            var expected: [String: (size: Int, date: Int)] = [:]
            for n in 0..<700 {
                let lf = n == 5
                let text = lf ? "Subject: \(n)\n\nbody\n" : "Subject: \(n)\r\n\r\nbody \(n)\r\n"
                let size = text.utf8.count + (lf ? 3 : 0)
                let name =
                    n % 3 == 0 ? "1700000000.M\(n)P1.x:2,S" : "1700000000.M\(n)P1.x,S=\(text.utf8.count),W=\(size):2,"
                try Data(text.utf8).write(to: URL(fileURLWithPath: cur + name))
                let date = 1_600_000_000 + n * 60
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSince1970: TimeInterval(date))],
                    ofItemAtPath: cur + name
                )
                expected[name] = (size, date)
            }
            let inbox = try await store.mailbox(user: user, name: .inbox)
            // The sizes come with the scan, the dates when asked for (every file's at once here).
            let scanned = await inbox.snapshot()
            #expect(scanned.filter { $0.internalDate == nil }.count == 700 - 234)
            let records = try await inbox.datedSnapshot()
            #expect(records.count == 700)
            for record in records {
                let want = try #require(expected[record.fileName])
                #expect(record.size == want.size, "\(record.fileName)")
                #expect(record.internalDate.map { Int($0.timeIntervalSince1970) } == want.date, "\(record.fileName)")
            }
            #expect(Set(records.map(\.uid)).count == 700)
        }
    }

    /// A STORE on many messages stats their files side by side before renaming them, and keeps the
    /// dates it read on the way: the first scan read none.
    @Test func aStoreOnManyMessagesOfAFolderNeverOpenedRenamesThemAndLearnsTheirDates() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            let cur = directory.path + "/\(user)/cur/"
            let text = Array("Subject: s\r\n\r\nb\r\n".utf8)
            for n in 0..<100 {
                let path = cur + "1700000000.M\(n)P1.x,S=\(text.count),W=\(text.count):2,"
                try Data(text).write(to: URL(fileURLWithPath: path))
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSince1970: TimeInterval(1_600_000_000 + n))],
                    ofItemAtPath: path
                )
            }
            let inbox = try await store.mailbox(user: user, name: .inbox)
            #expect(await inbox.snapshot().allSatisfy { $0.internalDate == nil })
            let uids = await inbox.snapshot().map(\.uid)
            _ = try await inbox.setFlags(uids: uids, flags: .flagged, operation: .add)
            await inbox.writeRenamesBehind()  // the renames follow the answer
            let after = await inbox.snapshot()
            #expect(after.count == 100 && after.allSatisfy { $0.flags == .flagged && $0.fileName.hasSuffix(":2,F") })
            let dates = Set(after.compactMap { $0.internalDate.map { Int($0.timeIntervalSince1970) } })
            #expect(dates == Set((0..<100).map { 1_600_000_000 + $0 }))
            #expect(try files(in: cur).allSatisfy { $0.hasSuffix(":2,F") })
        }
    }

    @Test func aScanThatCannotProveItsFolderUnchangedIsRepeatedByItselfAndLaterChangesAreSeen() async throws {
        try await withStore { store, directory in
            let folder = try fiveMessagesInCur(store, directory)
            try Self.backdate(folder)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            #expect(await inbox.folderScans == 1)
            // New mail: the look that moves it from new/ to cur/ changes both folders' times after its
            // stamp, so without settling the next look would list cur/ again.
            for n in 6...8 {
                try Data("Subject: \(n)\r\n\r\nbody\r\n".utf8).write(
                    to: URL(fileURLWithPath: folder + "/new/170000000\(n).M\(n)P1.x")
                )
                try await inbox.synchronize()
                #expect(await inbox.snapshot().count == n)
                #expect(await inbox.folderScans == n - 4)
                #expect(try await Self.settled(inbox, scans: n - 5))
                // The mailbox scanned by itself; the next looks list nothing.
                try await inbox.synchronize()
                try await inbox.synchronize()
                #expect(await inbox.folderScans == n - 4)
            }
            // Our own flag change renames in cur/: the look right after it makes no scan, and the
            // mailbox proves the change with a scan of its own a moment later.
            let uids = await inbox.snapshot().map(\.uid)
            try await inbox.setFlags(uids: [uids[0]], flags: .flagged, operation: .add)
            try await inbox.synchronize()
            #expect(await inbox.folderScans == 4)
            #expect(try await Self.settled(inbox, scans: 4))
            #expect(await inbox.snapshot().first?.flags == .flagged)
            // Another program renames at the same moment as ours, and cur/'s time does not show it (set
            // back here): the look after ours misses it, the proving scan finds it.
            // Late enough that a loaded machine still gets through the steps below before it.
            await inbox.setSettleDelay(.seconds(10), longestWait: .seconds(10))
            try await inbox.setFlags(uids: [uids[0]], flags: .seen, operation: .add)
            await inbox.writeRenamesBehind()  // ours lands first (it follows the answer)
            let cur = folder + "/cur"
            let time = try #require(POSIX.status(cur)).st_mtim
            let other = try #require(await inbox.snapshot().first { $0.uid == uids[1] }?.fileName)
            try FileManager.default.moveItem(atPath: cur + "/" + other, toPath: cur + "/" + other + "S")
            var times = [time, time]
            #expect(utimensat(AT_FDCWD, cur, &times, 0) == 0)
            try await inbox.synchronize()
            #expect(await inbox.folderScans == 4)
            #expect(await inbox.snapshot()[1].flags == [])
            #expect(try await Self.settled(inbox, scans: 5))
            #expect(await inbox.snapshot()[1].flags == .seen)
            #expect(await inbox.snapshot()[0].flags == [.flagged, .seen])
        }
    }

    /// Waits (a minute at most) until `inbox` has made `scans` settling scans and its stamp proves its
    /// folder unchanged.
    ///
    /// The settle runs on Swift's shared threads, which a full test run on two cores can keep busy for
    /// seconds (a CI run once waited longer than the five seconds this allowed).
    private static func settled(_ inbox: Mailbox, scans: Int) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await inbox.settleScans == scans, try await !inbox.loadedFolder().directoriesChanged() { return true }
            if await inbox.settleScans > scans { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits (at most a minute) until `inbox` has no settle scan pending, so a test can change a
    /// folder and put its times back without the mailbox looking in between.
    static func noSettlePending(_ inbox: Mailbox) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await !inbox.settleScheduled { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The user's Maildir with five messages put in cur/ by another program; its path.
    private func fiveMessagesInCur(_ store: MailStore, _ directory: TemporaryDirectory) throws -> String {
        try store.createUserMaildir(user)
        let folder = directory.path + "/\(user)"
        for n in 1...5 {
            try Data("Subject: \(n)\r\n\r\nbody\r\n".utf8).write(
                to: URL(fileURLWithPath: folder + "/cur/170000000\(n).M\(n)P1.x:2,")
            )
        }
        return folder
    }

    @Test func aFolderNeverOpenedIsScannedOnceNotAgainForItsOwnUIDListWrite() async throws {
        try await withStore { store, directory in
            let folder = try fiveMessagesInCur(store, directory)
            try Self.backdate(folder)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            #expect(await inbox.folderScans == 1)
            // The first scan wrote the uidlist (giving the five files UIDs); that write was its own,
            // so the next looks trust the stamp and list nothing.
            try await inbox.synchronize()
            try await inbox.synchronize()
            #expect(await inbox.folderScans == 1)
            #expect(await inbox.snapshot().count == 5)
            // Another program's file moves cur/'s time: the next look scans and finds it.
            try Data("Subject: 6\r\n\r\nbody\r\n".utf8).write(
                to: URL(fileURLWithPath: folder + "/cur/1700000006.M6P1.x:2,")
            )
            try await inbox.synchronize()
            #expect(await inbox.folderScans == 2)
            #expect(await inbox.snapshot().count == 6)
            // The stamp written with the cache lets the next process open without a scan.
            try Self.backdate(folder)
            try await inbox.synchronize()
            await inbox.writeCache()
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.folderScans == 0)
            #expect(await reopened.snapshot() == inbox.snapshot())
        }
    }

    @Test func cacheLinesReadAsWritten() async throws {
        try await TemporaryDirectory.with(prefix: "cache") { directory in
            var cache = MetadataCache(folder: directory.path)
            let first = MetadataCache.Entry(
                fileName: "b,S=10:2,S",
                size: 10,
                crlfSize: 12,
                internalDate: -5,
                modSeq: 1_796_328_442_602_532,
                headerLength: -1
            )
            let second = MetadataCache.Entry(
                fileName: "ünï:2,",
                size: 0,
                crlfSize: 0,
                internalDate: 0,
                modSeq: 1,
                headerLength: 7
            )
            // A date nobody asked for yet is written as `?` and read back as not read.
            let undated = MetadataCache.Entry(
                fileName: "c,S=3,W=3:2,",
                size: 3,
                crlfSize: 3,
                internalDate: nil,
                modSeq: 2,
                headerLength: -1
            )
            cache.entries = ["b,S=10": first, "ünï": second, "c,S=3,W=3": undated]
            cache.stamp = [1, 2, 3, 4, 5, 999_999_999]
            try cache.save(uidValidity: 9)
            var loaded = MetadataCache(folder: directory.path)
            loaded.load(uidValidity: 9)
            #expect(loaded.entries == cache.entries)
            #expect(loaded.stamp == cache.stamp)
            let text = try String(contentsOfFile: cache.path, encoding: .utf8)
            #expect(text.contains("\nc,S=3,W=3:2,\t3\t3\t?\t2\t-1\n"))
            var foreign = MetadataCache(folder: directory.path)
            foreign.load(uidValidity: 10)
            #expect(foreign.entries.isEmpty)
        }
    }
}
