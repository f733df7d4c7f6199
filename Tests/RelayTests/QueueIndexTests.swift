import Foundation
import MailTestSupport
import Testing

@testable import Relay

@Suite(.offThePool) struct QueueIndexTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func takesTheEarliestDueFirstAndOnlyWhatIsDue() {
        var index = QueueIndex()
        index.set("late", dueAt: t0 + 60)
        index.set("b", dueAt: t0 + 1)
        index.set("a", dueAt: t0)
        #expect(index.nextDue() == t0)
        #expect(index.takeDue(now: t0 + 5, limit: 10) == ["a", "b"])
        // Taken messages leave the index until the runner puts them back.
        #expect(index.count == 1)
        #expect(index.takeDue(now: t0 + 5, limit: 10).isEmpty)
        #expect(index.nextDue() == t0 + 60)
    }

    @Test func theLimitLeavesTheRestWaiting() {
        var index = QueueIndex()
        for i in 0..<5 { index.set("m\(i)", dueAt: t0 + Double(i)) }
        #expect(index.takeDue(now: t0 + 10, limit: 2) == ["m0", "m1"])
        #expect(index.takeDue(now: t0 + 10, limit: 2) == ["m2", "m3"])
        #expect(index.count == 1)
    }

    @Test func aNewTimeReplacesTheOldAndRemovalIsFinal() {
        var index = QueueIndex()
        index.set("x", dueAt: t0)
        index.set("x", dueAt: t0 + 300)  // deferred: its old entry is stale now
        index.set("y", dueAt: t0)
        index.set("y", dueAt: nil)  // delivered, held or deleted
        #expect(index.takeDue(now: t0 + 10, limit: 10).isEmpty)
        #expect(index.nextDue() == t0 + 300)
        #expect(index.takeDue(now: t0 + 300, limit: 10) == ["x"])
        #expect(index.nextDue() == nil)
    }

    @Test func replacingWithTheFolderDropsWhatIsGone() {
        var index = QueueIndex()
        index.set("gone", dueAt: t0)
        index.replaceAll(with: [(id: "kept", due: t0 + 1), (id: "new", due: t0)])
        #expect(index.takeDue(now: t0 + 1, limit: 10) == ["new", "kept"])
    }
}
