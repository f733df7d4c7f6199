import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// Settling (`Mailbox+Settle.swift`) waits for clients to pause, and no longer than its longest wait.
///
/// Its scan holds the mailbox's queue, and a command arriving meanwhile would wait behind it.
@Suite(.offThePool) struct SettleTests {
    private let user = "settle@example.test"

    @Test func aSettleWaitsWhileClientsKeepAskingAndComesAfterThePause() async throws {
        try await withSettleOwed(delay: .seconds(3), longestWait: .seconds(600)) { inbox, settledBefore, owed in
            // A client asking every 25 ms for 4 s, past the delay: the settle keeps waiting (only a
            // stall of 3 s between two looks would let it in).
            let asking = try await keepAsking(inbox, for: .seconds(4), since: owed) { _ in false }
            if asking.longestGap < .seconds(3) {
                #expect(await inbox.settleScans == settledBefore)
            } else {
                // This process stood still (a loaded machine): the pause was real, and the settle may come.
                print("SettleTests: the client stood still \(asking.longestGap); the settle's wait is not checked")
            }
            // The client pauses: the settle comes, and proves the rename.
            #expect(try await settled(inbox, after: settledBefore))
        }
    }

    @Test func aClientThatNeverPausesStillGetsTheSettleAtTheLongestWait() async throws {
        // A delay no pause reaches: only the longest wait can bring the settle.
        try await withSettleOwed(delay: .seconds(600), longestWait: .seconds(5)) { inbox, settledBefore, owed in
            let asking = try await keepAsking(inbox, for: .seconds(60), since: owed) { inbox in
                await inbox.settleScans == settledBefore + 1
            }
            #expect(asking.done)
            #expect(try await !inbox.loadedFolder().needsScan)
        }
    }

    /// A mailbox whose own rename (taken on trust) owes a proving scan, with the settling times given;
    /// `body` gets the settling scans so far and the time the change that owes the scan began.
    private func withSettleOwed(
        delay: Duration,
        longestWait: Duration,
        _ body: (Mailbox, Int, ContinuousClock.Instant) async throws -> Void
    ) async throws {
        try await withStore { store, directory in
            let inbox = try await store.mailbox(user: user, name: .inbox)
            for n in 1...3 { _ = try await inbox.append(bytes: sampleMessage(n)) }
            try FirstTouchTests.backdate(directory.path + "/\(user)")
            try await inbox.synchronize()
            // Any settle the appends asked for is done first: the one under test starts with the rename.
            let before = await inbox.settleScans
            #expect(try await FirstTouchTests.noSettlePending(inbox))
            await inbox.setSettleDelay(delay, longestWait: longestWait)
            let owed = ContinuousClock.now
            // Counted before the change that owes the settle, so a settle that came early still counts.
            let settledBefore = await inbox.settleScans
            try await inbox.setFlags(uids: [1], flags: .flagged, operation: .add)
            #expect(try await inbox.loadedFolder().needsScan)
            try await body(inbox, settledBefore, owed)
            #expect(await inbox.settleScans >= before)
            #expect(await inbox.snapshot().first?.flags == .flagged)
        }
    }

    /// Looks every 25 ms for `duration`, or until `done`; returns whether `done` ended it, and the
    /// longest time between two looks (the first counted from `since`).
    private func keepAsking(
        _ inbox: Mailbox,
        for duration: Duration,
        since: ContinuousClock.Instant,
        until done: (Mailbox) async -> Bool
    ) async throws -> (done: Bool, longestGap: Duration) {
        let until = ContinuousClock.now + duration
        var last = since
        var longestGap = Duration.zero
        for _ in 0..<10_000 where ContinuousClock.now < until {
            _ = await inbox.look(since: nil, claimRecent: false)
            longestGap = max(longestGap, ContinuousClock.now - last)
            last = ContinuousClock.now
            if await done(inbox) { return (true, longestGap) }
            try await Task.sleep(for: .milliseconds(25))
        }
        return (false, longestGap)
    }

    /// Waits (at most 30 s) for one settling scan after `count`, and for it to have proven the folder.
    private func settled(_ inbox: Mailbox, after count: Int) async throws -> Bool {
        for _ in 0..<1500 {
            if await inbox.settleScans == count + 1, try await !inbox.loadedFolder().needsScan { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
