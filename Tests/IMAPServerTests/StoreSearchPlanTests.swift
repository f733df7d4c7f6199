import MailStore
import MailTestSupport
import Testing

@testable import IMAPServer

private let messages = [
    SelectedMailboxView.Message(uid: 10, flags: [], modSeq: 5),
    SelectedMailboxView.Message(uid: 20, flags: [.seen], modSeq: 9),
    SelectedMailboxView.Message(uid: 30, flags: [], modSeq: 7),
]

/// Sequence numbers of the three messages: 1, 2, 3.
private func msn(_ uid: UInt32) -> Int? { messages.firstIndex { $0.uid == uid }.map { $0 + 1 } }

private func plan(_ store: StoreCommand, uid: Bool = false, condStore: Bool = false) -> StorePlan {
    StorePlan(store, targets: messages, uid: uid, condStore: condStore, msn: msn)
}

/// The RFC 3501 §6.4.6 and RFC 7162 §3.1.3 rules of STORE at the plan level, without a store.
@Suite(.offThePool) struct StorePlanTests {
    @Test(arguments: [
        (StoreCommand.Operation.add, FlagOperation.add),
        (.remove, .remove),
        (.replace, .replace),
    ])
    func theOperationIsTheStores(operation: StoreCommand.Operation, expected: FlagOperation) {
        #expect(plan(StoreCommand(operation: operation, silent: false, flags: [.seen])).operation == expected)
    }

    /// System flags go to MailStore's flags, keywords once each; `\Recent` cannot be stored (§2.3.2).
    @Test func flagsSplitIntoSystemFlagsAndKeywords() {
        let flags = [Flag.seen, Flag("$Junk"), .recent, Flag("$Junk"), .flagged]
        let storePlan = plan(StoreCommand(operation: .add, silent: false, flags: flags))
        #expect(storePlan.flags == [.seen, .flagged])
        #expect(storePlan.keywords == ["$Junk"])
    }

    /// RFC 7162 §3.1.3: messages changed after UNCHANGEDSINCE are left alone and listed in [MODIFIED],
    /// by sequence number for STORE and by UID for UID STORE.
    @Test(arguments: [(false, [UInt32(2), 3]), (true, [UInt32(20), 30])])
    func unchangedSinceRefusesNewerMessages(uid: Bool, modified: [UInt32]) {
        let storePlan = plan(StoreCommand(operation: .add, silent: false, flags: [.seen], unchangedSince: 6), uid: uid)
        #expect(storePlan.changing == [10])
        #expect(storePlan.modified == modified)
    }

    @Test func withoutUnchangedSinceEveryTargetChanges() {
        let storePlan = plan(StoreCommand(operation: .add, silent: false, flags: [.seen]))
        #expect(storePlan.changing == [10, 20, 30])
        #expect(storePlan.modified.isEmpty)
    }
}

/// The untagged FETCH after STORE (RFC 3501 §6.4.6, §7.4.2) and the tagged answer, without a store.
@Suite(.offThePool) struct StoreRendererTests {
    private func fetch(_ store: StoreCommand, uid: Bool = false, condStore: Bool = false) -> IMAPResponse? {
        StoreRenderer.fetch(plan(store, uid: uid, condStore: condStore), msn: 1, uid: 10, flags: [.seen], modSeq: 11)
    }

    @Test func storeAnswersWithTheNewFlags() {
        #expect(
            fetch(StoreCommand(operation: .add, silent: false, flags: [.seen]))
                == .untagged(.fetch(1, [.flags([.seen])]))
        )
    }

    /// RFC 3501 §6.4.8: UID STORE's FETCH carries the UID.
    @Test func uidStoreAddsTheUID() {
        #expect(
            fetch(StoreCommand(operation: .add, silent: false, flags: [.seen]), uid: true)
                == .untagged(.fetch(1, [.uid(10), .flags([.seen])]))
        )
    }

    /// .SILENT: no FETCH at all.
    @Test func silentSendsNothing() {
        #expect(fetch(StoreCommand(operation: .add, silent: true, flags: [.seen])) == nil)
        #expect(fetch(StoreCommand(operation: .add, silent: true, flags: [.seen]), condStore: true) == nil)
    }

    /// RFC 7162 §3.1.3: a CONDSTORE client of UNCHANGEDSINCE learns the new MODSEQ even with .SILENT.
    @Test func silentUnchangedSinceStillReportsTheModSeq() {
        let store = StoreCommand(operation: .add, silent: true, flags: [.seen], unchangedSince: 100)
        #expect(fetch(store, condStore: true) == .untagged(.fetch(1, [.modSeq(11)])))
    }

    /// RFC 7162 §3.2: MODSEQ in every FETCH once CONDSTORE is enabled.
    @Test func condStoreAddsTheModSeq() {
        #expect(
            fetch(StoreCommand(operation: .add, silent: false, flags: [.seen]), condStore: true)
                == .untagged(.fetch(1, [.flags([.seen]), .modSeq(11)]))
        )
    }

    @Test(arguments: [(false, "STORE"), (true, "UID STORE")])
    func completion(uid: Bool, name: String) {
        let done = plan(StoreCommand(operation: .add, silent: false, flags: [.seen]), uid: uid)
        #expect(StoreRenderer.completion(done, tag: "a") == .ok("a", "\(name) completed"))
        let refused = plan(StoreCommand(operation: .add, silent: false, flags: [.seen], unchangedSince: 6), uid: uid)
        #expect(
            StoreRenderer.completion(refused, tag: "a")
                == .ok("a", .modified(SequenceSet.compact(refused.modified)), "Conditional \(name) failed")
        )
    }
}

/// SEARCH at the plan and rendering levels (RFC 3501 §6.4.4, §7.2.5; RFC 4731; RFC 7162 §3.1.5).
@Suite(.offThePool) struct SearchPlanTests {
    /// Which criteria need which data: flags and sizes nothing, header fields the header, BODY/TEXT all.
    @Test(arguments: [
        (SearchKey.flag(.seen, set: true), FetchEngine.Need.nothing),
        (.larger(10), .nothing),
        (.subject("x"), .header),
        (.header(field: "X-Y", value: "z"), .header),
        (.body("x"), .whole),
        (.and([.subject("x"), .text("y")]), .whole),
    ])
    func criteriaNeed(key: SearchKey, need: FetchEngine.Need) throws {
        #expect(try SearchPlan(SearchCommand(key: key)).need == need)
    }

    @Test func anUnknownCharsetIsBadCharset() {
        #expect(throws: CommandFailure.self) { try SearchPlan(SearchCommand(charset: "KOI8-R", key: .all)) }
        #expect(throws: Never.self) { try SearchPlan(SearchCommand(charset: "UTF-8", key: .all)) }
    }

    private let found = [
        SearchRenderer.Match(msn: 2, uid: 20, modSeq: 9),
        SearchRenderer.Match(msn: 3, uid: 30, modSeq: 7),
    ]

    private func render(
        _ search: SearchCommand,
        found: [SearchRenderer.Match],
        uid: Bool = false
    ) throws -> IMAPResponse {
        SearchRenderer.render(try SearchPlan(search), search, found: found, uid: uid, tag: "t")
    }

    @Test func searchListsSequenceNumbersOrUIDs() throws {
        #expect(try render(SearchCommand(key: .all), found: found) == .untagged(.search([2, 3], modSeq: nil)))
        #expect(
            try render(SearchCommand(key: .all), found: found, uid: true) == .untagged(.search([20, 30], modSeq: nil))
        )
    }

    /// RFC 7162 §3.1.5: the highest MODSEQ of the matches when the criteria name MODSEQ, none when
    /// nothing matched.
    @Test func modSeqCriteriaAddTheHighestModSeq() throws {
        let search = SearchCommand(key: .modSeq(1))
        #expect(try render(search, found: found) == .untagged(.search([2, 3], modSeq: 9)))
        #expect(try render(search, found: []) == .untagged(.search([], modSeq: nil)))
    }

    /// RFC 4731 §3.1: RETURN () is RETURN (ALL); MIN, MAX and ALL are left out when nothing matched.
    @Test func esearchAnswersTheReturnOptions() throws {
        #expect(
            try render(SearchCommand(key: .all, returnOptions: []), found: found)
                == .untagged(.esearch(tag: "t", uid: false, [.all(SequenceSet.compact([2, 3]))]))
        )
        #expect(
            try render(SearchCommand(key: .all, returnOptions: [.min, .max, .count]), found: found, uid: true)
                == .untagged(.esearch(tag: "t", uid: true, [.min(20), .max(30), .count(2)]))
        )
        #expect(
            try render(SearchCommand(key: .all, returnOptions: [.min, .all, .count]), found: [])
                == .untagged(.esearch(tag: "t", uid: false, [.count(0)]))
        )
    }
}
