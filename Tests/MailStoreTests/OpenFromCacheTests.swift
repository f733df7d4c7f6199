import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// A folder opened from its cache takes its records in the uidlist's order (`UIDList.takeLinesAsRead`)
/// when the lines ascend, and from the map, sorted, when they do not or a base is listed twice.
@Suite(.offThePool) struct OpenFromCacheTests {
    private let user = "order@example.test"

    /// The uidlist's lines, edited by `edit`, written back with the file's time unchanged (so the
    /// stamp still holds and the folder opens from its cache, without a scan).
    @Test(arguments: ["reversed", "a line twice", "as written"])
    func recordsComeInUIDOrderWhateverTheLinesOrder(_ edit: String) async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            await inbox.setSettleDelay(.milliseconds(10))
            for n in 1...6 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            let folder = directory.path + "/\(user)"
            try FirstTouchTests.backdate(folder)
            try await inbox.synchronize()
            await inbox.writeCache()
            // No settle may look at the folder while the uidlist below is edited and its time not yet
            // put back.
            #expect(try await FirstTouchTests.noSettlePending(inbox))
            let path = folder + "/" + UIDList.fileName
            let time = try #require(POSIX.status(path)?.st_mtim)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var lines = text.split(separator: "\n").map(String.init)
            switch edit {
            case "reversed": lines = [lines[0]] + lines.dropFirst().reversed()
            case "a line twice": lines.insert(lines[3], at: 2)
            default: break
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
            var times = [time, time]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
            let reopened = try await MailStore(root: directory.url).mailbox(user: user, name: .inbox)
            #expect(await reopened.folderScans == 0)
            let records = await reopened.snapshot()
            #expect(records.map(\.uid) == Array(1...6))
            #expect(records == (await inbox.snapshot()))
        }
    }
}
