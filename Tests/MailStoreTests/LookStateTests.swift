import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// `Mailbox.isCurrent(token:)` says, without a hop onto the mailbox's queue, exactly when a look since
/// that token would return no messages and claim nothing (`Mailbox+LookState.swift`).
@Suite(.offThePool) struct LookStateTests {
    private let user = "look@example.test"

    @Test func aTokenIsCurrentUntilTheMailboxChanges() async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...2 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            let token = await inbox.look(since: nil, claimRecent: true).token
            #expect(inbox.isCurrent(token: token))
            // Through the protocol too: the mailbox's own answer, not the default's "unknown".
            let handle: any MailboxHandle = inbox
            #expect(handle.isCurrent(token: token))
            #expect(await inbox.look(since: token, claimRecent: true).messages == nil)
            #expect(!inbox.isCurrent(token: token &+ 1))

            // A flag change: the look finds it, and so does the word.
            try await inbox.setFlags(uids: [1], flags: .seen, operation: .add)
            #expect(!inbox.isCurrent(token: token))
            let changed = await inbox.look(since: token, claimRecent: true)
            #expect(changed.messages != nil && inbox.isCurrent(token: changed.token))

            // Mail another program put in new/, taken in by a look at the disk but not yet claimed as
            // \Recent: only a look hands it out, so the word says to look, whatever the token.
            try Data(sampleMessage(3)).write(
                to: URL(fileURLWithPath: directory.path + "/\(user)/new/1700000003.M3P1.x")
            )
            try await inbox.synchronize()
            let grown = inbox.lookState.load(ordering: .acquiring) >> 1
            #expect(!inbox.isCurrent(token: grown))
            let claimed = await inbox.look(since: changed.token, claimRecent: true)
            #expect(claimed.recent.count == 1)
            #expect(inbox.isCurrent(token: claimed.token))

            // A mailbox deleted or renamed: never current.
            await inbox.invalidate()
            #expect(!inbox.isCurrent(token: claimed.token))
        }
    }
}
