import MailTestSupport
import Testing

@testable import IMAPServer

private typealias M = SelectedMailboxView.Message

private func view(_ uids: [UInt32]) -> SelectedMailboxView {
    SelectedMailboxView(messages: uids.map { M(uid: $0, flags: []) })
}

@Suite(.offThePool) struct SelectedMailboxViewTests {
    @Test func resolvesSequenceAndUIDSets() throws {
        let v = view([3, 7, 9, 20])
        #expect(try v.resolve(.all, byUID: false) == [1, 2, 3, 4])
        #expect(
            try v.resolve(SequenceSet([.init(.number(4), .number(2)), .init(.number(3), .number(3))]), byUID: false)
                == [2, 3, 4]
        )
        #expect(try v.resolve(SequenceSet([.init(.number(7), .number(9))]), byUID: true) == [2, 3])
        #expect(try v.resolve(SequenceSet([.init(.number(21), .last)]), byUID: true) == [4])
        #expect(try v.resolve(SequenceSet([.init(.number(10), .number(19))]), byUID: true) == [])
        #expect(throws: SelectedMailboxView.SetError.invalidSequenceNumber) {
            try v.resolve(SequenceSet([.init(.number(5), .number(5))]), byUID: false)
        }
        #expect(try view([]).resolve(.all, byUID: false) == [])
        #expect(try view([]).resolve(.all, byUID: true) == [])
        #expect(v.msn(ofUID: 9) == 3)
        #expect(v.msn(ofUID: 8) == nil)
    }

    @Test func reportsExpungesFromTheTopAppendsAndFlags() {
        var v = view([1, 2, 3, 4])
        let current = [M(uid: 1, flags: []), M(uid: 3, flags: [.seen], modSeq: 5), M(uid: 5, flags: [])]
        let responses = v.update(to: current, newlyRecent: [5], allowExpunge: true, includeModSeq: false)
        #expect(
            responses == [
                .untagged(.expunge(4)), .untagged(.expunge(2)),
                .untagged(.fetch(2, [.uid(3), .flags([.seen])])), .untagged(.exists(3)), .untagged(.recent(1)),
            ]
        )
        #expect(v.messages.map(\.uid) == [1, 3, 5])
        #expect(v.displayFlags(v.message(msn: 3)) == [.recent])
    }

    @Test func defersExpungesWhenNotAllowed() {
        var v = view([1, 2, 3])
        #expect(
            v.update(to: [M(uid: 1, flags: []), M(uid: 3, flags: [])], allowExpunge: false, includeModSeq: false) == []
        )
        #expect(v.count == 3)
        #expect(
            v.update(to: [M(uid: 1, flags: []), M(uid: 3, flags: [])], allowExpunge: true, includeModSeq: false)
                == [.untagged(.expunge(2))]
        )
    }

    @Test func ownStoreIsNotEchoed() {
        var v = view([1])
        v.setFlags(uid: 1, flags: [.flagged], modSeq: 2)
        #expect(v.update(to: [M(uid: 1, flags: [.flagged], modSeq: 2)], allowExpunge: true, includeModSeq: true) == [])
        #expect(
            v.update(to: [M(uid: 1, flags: [.flagged], modSeq: 3)], allowExpunge: true, includeModSeq: true)
                == [.untagged(.fetch(1, [.uid(1), .flags([.flagged]), .modSeq(3)]))]
        )
    }
}
