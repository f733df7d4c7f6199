import Foundation
import Logging
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct CacheAndLimitTests {
    private let user = "cache@example.test"

    @Test func sizesComeFromFileNamesWithoutReadingFiles() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            // The name claims sizes the content does not have: the listing believes the name, which
            // shows it neither stat()s nor reads files that carry ,S= and ,W=.
            let name = "1700000001.M1P1Q1.elsewhere,S=999,W=1000:2,S"
            try Data("tiny".utf8).write(to: URL(fileURLWithPath: directory.path + "/\(user)/cur/" + name))
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let record = try #require(await inbox.snapshot().first)
            #expect(record.physicalSize == 999 && record.size == 1000)
            #expect(record.flags == .seen)
        }
    }

    @Test func internalDateIsTheFilesModificationTimeNotTheNamesTime() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            // Dovecot's APPEND names the file with the time of the APPEND and sets the mtime to the
            // date the client gave: the mtime is the internal date, whatever the name says.
            let path = directory.path + "/\(user)/cur/1700000001.M1P1Q1.elsewhere,S=4,W=4:2,S"
            try Data("tiny".utf8).write(to: URL(fileURLWithPath: path))
            let appended = Date(timeIntervalSince1970: 1_600_000_000)
            try FileManager.default.setAttributes([.modificationDate: appended], ofItemAtPath: path)
            let inbox = try await store.mailbox(user: user, name: .inbox)
            // The first scan reads no date; the first reader that asks gets the mtime, and so does
            // the next process, from the cache.
            #expect(await inbox.snapshot().first?.internalDate == nil)
            #expect(try await inbox.messages(uids: [1]).first??.internalDate == appended)
            await inbox.writeCache()
            #expect(
                try String(contentsOfFile: directory.path + "/\(user)/" + MetadataCache.fileName, encoding: .utf8)
                    .contains("\t1600000000\t")
            )
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.snapshot().first?.internalDate == appended)
        }
    }

    @Test func cacheOfAnOlderVersionIsRebuilt() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let date = Date(timeIntervalSince1970: 1_600_000_000)
            _ = try await inbox.append(bytes: sampleMessage(1), internalDate: date)
            await inbox.writeCache()
            let cachePath = directory.path + "/\(user)/" + MetadataCache.fileName
            let written = try String(contentsOfFile: cachePath, encoding: .utf8)
            #expect(written.hasPrefix("correo-cache \(MetadataCache.version) "))
            // A version-1 cache held the name's seconds as the date; one left behind must not be believed.
            let stale =
                written
                .replacingOccurrences(of: "correo-cache \(MetadataCache.version) ", with: "correo-cache 1 ")
                .replacingOccurrences(of: "\t1600000000\t", with: "\t1700000000\t")
            try stale.write(toFile: cachePath, atomically: true, encoding: .utf8)
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(try await reopened.datedSnapshot().first?.internalDate == date)
        }
    }

    @Test func externalRenameWhileClosedGetsAHigherModSeq() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            let seen = await inbox.highestModSeq
            await inbox.writeCache()
            let file = try #require(await inbox.snapshot().first?.fileName)
            let cur = directory.path + "/\(user)/cur/"
            try FileManager.default.moveItem(atPath: cur + file, toPath: cur + file + "F")
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            let record = try #require(await reopened.snapshot().first)
            #expect(record.flags == .flagged)
            #expect(record.modSeq > seen)
        }
    }

    @Test func streamedAppendAndHeaderLengths() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let message = try store.beginDelivery()
            let header = Array("Subject: big\r\n\r\n".utf8)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
            try message.write(header)
            try message.write(body)
            let date = Date(timeIntervalSince1970: 1_600_000_000)
            let uid = try await inbox.append(message, flags: .seen, internalDate: date)
            #expect(try await inbox.readMessage(uid: uid) == header + body)
            #expect(await inbox.snapshot().first?.internalDate == date)
            let reopened = try await MailStore(root: store.root).mailbox(user: user, name: .inbox)
            #expect(try await reopened.datedSnapshot().first?.internalDate == date)
            #expect(try await inbox.headerLength(uid: uid) == header.count)
            let headerOnly = try await inbox.append(bytes: Array("Subject: none\r\n".utf8))
            #expect(try await inbox.headerLength(uid: headerOnly) == 15)
        }
    }

    @Test func staleTemporaryFilesAreSwept() async throws {
        try await withStore { store, directory in
            try store.createUserMaildir(user)
            let tmp = directory.path + "/tmp"
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            let old = Date(timeIntervalSinceNow: -MailStoreDefaults.staleTemporaryFileAge - 60)
            for path in [tmp + "/crashed", directory.path + "/\(user)/tmp/crashed"] {
                try Data("x".utf8).write(to: URL(fileURLWithPath: path))
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
            }
            try Data("x".utf8).write(to: URL(fileURLWithPath: tmp + "/fresh"))
            let message = try store.beginDelivery()
            message.abandon()
            _ = try await store.mailbox(user: user, name: .inbox)
            #expect(try files(in: tmp) == ["fresh"])
            #expect(try files(in: directory.path + "/\(user)/tmp").isEmpty)
        }
    }

    @Test func addressAndKeywordLimits() async throws {
        try await withStore { store, _ in
            let domain = "@example.test"
            let longest = String(repeating: "a", count: MailStoreDefaults.maximumAddressBytes - domain.count) + domain
            #expect(try store.userDirectory(for: longest).lastPathComponent == longest)
            #expect(throws: MailStoreError.invalidAddress("a" + longest)) {
                try store.userDirectory(for: "a" + longest)
            }
            // A combining mark after the `@` does not hide it (MailCore's scalar split).
            #expect(try store.userDirectory(for: "t@\u{30C}x").lastPathComponent == "t@\u{30C}x")
            for bad in ["", "no-at", "@x", "x@", ".hidden@x", "a/b@x", "sp ace@x", "nul\u{0}@x"] {
                #expect(throws: MailStoreError.invalidAddress(bad)) { try store.userDirectory(for: bad) }
            }
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let uid = try await inbox.append(bytes: sampleMessage(1))
            let keyword = String(repeating: "k", count: MailStoreDefaults.maximumKeywordBytes)
            #expect(
                try await inbox.setFlags(uids: [uid], flags: [], keywords: [keyword], operation: .add).first?.keywords
                    == [keyword]
            )
            await #expect(throws: MailStoreError.invalidKeyword(keyword + "k")) {
                try await inbox.setFlags(uids: [uid], flags: [], keywords: [keyword + "k"], operation: .add)
            }
        }
    }

    @Test func mailboxDeletedByAnotherProcessIsNotFound() async throws {
        try await withStore { store, directory in
            let name = try MailboxName(["Gone"])
            try await store.createMailbox(user: user, name: name)
            let box = try await store.mailbox(user: user, name: name)
            try await MailStore(root: directory.url).deleteMailbox(user: user, name: name)
            await #expect(throws: MailStoreError.mailboxNotFound("Gone")) { try await box.synchronize() }
            await #expect(throws: MailStoreError.mailboxNotFound("Gone")) {
                _ = try await store.mailbox(user: user, name: name)
            }
        }
    }
}

@Suite(.offThePool) struct CorruptIndexTests {
    /// A torn last line and stray lines of the uidlist are skipped, with the same UIDs and UIDVALIDITY.
    ///
    /// A crash in the middle of an append leaves a last line without its newline; other programs may
    /// leave blank or stray lines.
    @Test func aTornLastLineAndStrayLinesOfTheUIDListAreSkipped() async throws {
        try await withStore { store, directory in
            let user = "torn@example.test"
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...3 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            let validity = await inbox.uidValidity
            let list = directory.path + "/\(user)/" + UIDList.fileName
            var lines = try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n").map(String.init)
            lines.insert("", at: 2)
            lines.insert("x y", at: 3)
            try (lines.joined(separator: "\n") + "\n7 1700000000.torn").write(
                toFile: list,
                atomically: true,
                encoding: .utf8
            )
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.uidValidity == validity)
            #expect(await reopened.snapshot().map(\.uid) == [1, 2, 3])
            #expect(await reopened.uidNext == 4)
            #expect(try await reopened.readMessage(uid: 2) == sampleMessage(2))
        }
    }

    @Test func damagedUIDListStartsOverWithANewUIDValidity() async throws {
        try await withStore { store, directory in
            let user = "corrupt@example.test"
            let inbox = try await store.mailbox(user: user, name: .inbox)
            _ = try await inbox.append(bytes: sampleMessage(1))
            let validity = await inbox.uidValidity
            let list = directory.path + "/\(user)/" + UIDList.fileName
            try "garbage\n".write(toFile: list, atomically: true, encoding: .utf8)
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.uidValidity > validity)
            #expect(await reopened.snapshot().map(\.uid) == [1])
            #expect(try await reopened.readMessage(uid: 1) == sampleMessage(1))
        }
    }
}
