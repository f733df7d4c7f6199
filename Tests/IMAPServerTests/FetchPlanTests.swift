import MailStore
import MailTestSupport
import Testing

@testable import IMAPServer

private let whole = BodySection()

/// The RFC 3501 rules of FETCH at the plan level: what is read and which flags change, without a store.
@Suite(.offThePool) struct FetchPlanTests {
    /// RFC 3501 §6.4.5: BODY[…], RFC822 and RFC822.TEXT set `\Seen`; BODY.PEEK[…] and the rest do not;
    /// a mailbox opened read-only (EXAMINE, §6.3.2) never changes it.
    @Test(arguments: [
        ([FetchAttribute.bodySection(whole, peek: false, partial: nil)], false, true),
        ([FetchAttribute.bodySection(whole, peek: true, partial: nil)], false, false),
        ([FetchAttribute.bodySection(BodySection(kind: .text), peek: false, partial: nil)], false, true),
        ([FetchAttribute.rfc822], false, true),
        ([FetchAttribute.rfc822Text], false, true),
        ([FetchAttribute.rfc822Header], false, false),
        ([FetchAttribute.flags, .envelope, .bodyStructure, .rfc822Size], false, false),
        ([FetchAttribute.bodySection(whole, peek: false, partial: nil)], true, false),
        ([FetchAttribute.rfc822], true, false),
    ])
    func setsSeen(attributes: [FetchAttribute], readOnly: Bool, expected: Bool) {
        let plan = FetchPlan(
            attributes: attributes,
            uid: false,
            condStore: false,
            changedSince: nil,
            readOnly: readOnly
        )
        #expect(plan.setsSeen == expected)
    }

    @Test func onlyMessagesWithoutSeenAreMarked() {
        let plan = FetchPlan(
            attributes: [.bodySection(whole, peek: false, partial: nil)],
            uid: true,
            condStore: false,
            changedSince: nil,
            readOnly: false
        )
        let messages = [
            SelectedMailboxView.Message(uid: 4, flags: [.seen], modSeq: 1),
            SelectedMailboxView.Message(uid: 5, flags: [], modSeq: 1),
            SelectedMailboxView.Message(uid: 9, flags: [.flagged], modSeq: 1),
        ]
        #expect(plan.marksSeen(messages) == [5, 9])
        let examined = FetchPlan(
            attributes: [.bodySection(whole, peek: false, partial: nil)],
            uid: true,
            condStore: false,
            changedSince: nil,
            readOnly: true
        )
        #expect(examined.marksSeen(messages) == [])
    }

    /// RFC 3501 §6.4.8: UID FETCH always answers UID, first; RFC 7162: MODSEQ once CONDSTORE is on.
    @Test func uidFetchAddsUIDAndCondStoreAddsModSeq() {
        let plan = FetchPlan(attributes: [.flags], uid: true, condStore: true, changedSince: nil, readOnly: false)
        #expect(plan.attributes == [.uid, .flags, .modSeq])
        let plain = FetchPlan(attributes: [.flags], uid: false, condStore: true, changedSince: nil, readOnly: false)
        #expect(plain.attributes == [.flags])
        let since = FetchPlan(attributes: [.flags], uid: false, condStore: true, changedSince: 3, readOnly: false)
        #expect(since.attributes == [.flags, .modSeq])
    }

    /// Only a partial BODY[] (or BODY.PEEK[]) as the one content item reads just that range.
    @Test func aPartialWholeMessageReadsOnlyItsRange() {
        let range = PartialRange(offset: 65536, length: 65536)
        let chunk = FetchPlan(
            attributes: [.uid, .bodySection(whole, peek: true, partial: range)],
            uid: true,
            condStore: false,
            changedSince: nil,
            readOnly: false
        )
        #expect(chunk.wholeMessageRange == range)
        #expect(chunk.otherNeed == .nothing)
        let withEnvelope = FetchPlan(
            attributes: [.envelope, .bodySection(whole, peek: true, partial: range)],
            uid: true,
            condStore: false,
            changedSince: nil,
            readOnly: false
        )
        #expect(withEnvelope.wholeMessageRange == nil)
        #expect(withEnvelope.otherNeed == .whole)
    }

    /// The message's own HEADER.FIELDS is a derived item, one per set of names whatever their order
    /// or case; NOT, a part's fields and names outside printable ASCII are cut from what is read.
    @Test func headerFieldsOfTheMessageAreDerivedPerSetOfNames() {
        func section(_ kind: BodySection.Kind, part: [Int] = []) -> FetchAttribute {
            .bodySection(BodySection(part: part, kind: kind), peek: true, partial: nil)
        }
        let plan = FetchPlan(
            attributes: [
                .flags, section(.headerFields(["Subject", "From"])), .envelope,
                section(.headerFields(["from", "SUBJECT", "from"])), section(.headerFields(["To"])),
            ],
            uid: true,
            condStore: false,
            changedSince: nil,
            readOnly: false
        )
        #expect(plan.derivedItems.count == 3)
        #expect(plan.derivedIndex == [2: 0, 3: 1, 4: 0, 5: 2])
        #expect(plan.derivedItems[0].kind == plan.derivedItems[0].kind.lowercased())
        #expect(plan.derivedItems[0].kind.hasPrefix("imap-hf-1-"))
        #expect(plan.derivedItems[0].kind != plan.derivedItems[2].kind)
        #expect(plan.otherNeed == .nothing)
        #expect(!plan.keepsHeaders)
        for other in [
            section(.headerFieldsNot(["Subject"])), section(.headerFields(["Subject"]), part: [1]),
            section(.headerFields(["Sübject"])),
        ] {
            #expect(DerivedItem(other) == nil)
        }
        let withHeader = FetchPlan(
            attributes: [section(.headerFields(["Subject"])), section(.header)],
            uid: false,
            condStore: false,
            changedSince: nil,
            readOnly: false
        )
        #expect(withHeader.keepsHeaders)
    }

    /// A set's kind is a digest of its canonical names: fixed across processes (it names values on
    /// disk), short, and a valid store kind.
    @Test func aHeaderFieldSetsKindIsStable() throws {
        let set = try #require(HeaderFieldSet(["Subject", "FROM"]))
        #expect(set.names == ["from", "subject"])
        // SHA-256 of "from subject": `echo -n "from subject" | sha256sum`.
        #expect(set.kind == "imap-hf-1-03fb027ef701f313")
        #expect(set.kind == HeaderFieldSet(["from", "subject"])?.kind)
        #expect(HeaderFieldSet([]) == nil)
    }
}
