import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// Reads off the mailbox's queue (`Mailbox.readPublished`): the same bytes as the actor's reads, and
/// nothing from records the mailbox has changed since it published them.
@Suite(.offThePool) struct PublishedReadTests {
    private let user = "reader@example.test"

    @Test func readsWhatTheMailboxReadsWhilePublished() async throws {
        try await withStore { store, _ in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let crlf = try await inbox.append(bytes: sampleMessage(1))
            // Another program's file with bare LF: read in the CRLF form, as the actor serves it.
            let bare = Array("Subject: bare\nFrom: a@b.test\n\nline one\n.dot\n".utf8)
            let lf = try await inbox.append(bytes: bare)
            #expect(inbox.readPublished(uid: crlf, headerOnly: false) == .unknown)
            for uid in [crlf, lf] {
                let whole = try await inbox.readMessage(uid: uid)
                #expect(await published(inbox, uid: uid) == .message(whole))
                let header = try #require(await inbox.headerSections(uids: [uid])[0])
                #expect(await published(inbox, uid: uid, headerOnly: true) == .message(header))
            }
            #expect(
                await published(inbox, uid: lf)
                    == .message(Array("Subject: bare\r\nFrom: a@b.test\r\n\r\nline one\r\n.dot\r\n".utf8))
            )
            #expect(await published(inbox, uid: 99) == .absent)
        }
    }

    /// Publishes the mailbox's records and reads `uid` from them.
    ///
    /// The mailbox's own look at the disk (its watcher saw the change just made) may withdraw the
    /// records between the two, and then "unknown" is the right answer: publish again, a bounded
    /// number of times, until the read answers from records. (A loaded machine delays that look
    /// past the publication often enough that a single try failed in full runs.)
    private func published(_ inbox: Mailbox, uid: UInt32, headerOnly: Bool = false) async -> Mailbox.PublishedRead {
        var read = Mailbox.PublishedRead.unknown
        for _ in 0..<50 where read == .unknown {
            await inbox.publishForReading()
            read = inbox.readPublished(uid: uid, headerOnly: headerOnly)
            if read == .unknown { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return read
    }

    @Test func everyChangeWithdrawsThePublishedRecords() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            let first = try await inbox.append(bytes: sampleMessage(1))
            let second = try await inbox.append(bytes: sampleMessage(2))
            await inbox.publishForReading()
            // A flag change renames the file: the old name must not be used, nor a stale "absent".
            try await inbox.setFlags(uids: [first], flags: .seen, operation: .add)
            #expect(inbox.readPublished(uid: first, headerOnly: false) == .unknown)
            #expect(await published(inbox, uid: first) == .message(sampleMessage(1)))
            // New mail: what was published is withdrawn, the new records have it.
            let third = try await inbox.append(bytes: sampleMessage(3))
            #expect(inbox.readPublished(uid: third, headerOnly: false) == .unknown)
            #expect(await published(inbox, uid: third) == .message(sampleMessage(3)))
            // Expunged: withdrawn, then absent.
            try await inbox.setFlags(uids: [second], flags: .deleted, operation: .add)
            try await inbox.expunge()
            #expect(inbox.readPublished(uid: second, headerOnly: false) == .unknown)
            #expect(await published(inbox, uid: second) == .absent)
            // Removed by another program behind the mailbox's back: no file, so "ask the mailbox".
            let cur = directory.path + "/\(user)/cur"
            for name in try files(in: cur) { try FileManager.default.removeItem(atPath: cur + "/" + name) }
            #expect(inbox.readPublished(uid: third, headerOnly: false) == .unknown)
        }
    }
}
