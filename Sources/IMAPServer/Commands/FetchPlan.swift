import MailStore

/// What one FETCH reads and which flags it changes, decided from the command and the selected
/// mailbox alone, before any store call (RFC 3501 §6.4.5, §6.4.8; RFC 7162 §3.1.4), so that each
/// rule is testable without a store.
struct FetchPlan: Equatable {
    /// The fetch attributes answered, in the client's order, with the UID and MODSEQ the server adds.
    var attributes: [FetchAttribute]
    /// Set when one partial range of the whole message is all the content asked for: only that range
    /// is read (Thunderbird downloads big messages as `BODY.PEEK[]<offset.65536>` chunks).
    var wholeMessageRange: PartialRange?
    /// Whether this FETCH sets `\Seen` on the messages that lack it (RFC 3501 §6.4.5).
    var setsSeen: Bool
    /// The items the store may already hold encoded in its derived cache, each once.
    var derivedItems: [DerivedItem]
    /// Which of `derivedItems` answers each attribute, by the attribute's index: made once per command
    /// (a header-field set's kind is a digest), not once per message.
    var derivedIndex: [Int: Int]
    /// What must be read for everything else.
    var otherNeed: FetchEngine.Need
    /// The response name of each body section asked for (`BODY[HEADER.FIELDS (FROM TO)]`), by its
    /// index in `attributes`: made once per command, not once per message.
    var sectionNames: [Int: String]

    /// The plan for `attributes` as the client sent them.
    ///
    /// `readOnly` is a mailbox opened with EXAMINE (or a read-only SELECT); `condStore` whether CONDSTORE is enabled
    /// for the session.
    init(attributes requested: [FetchAttribute], uid: Bool, condStore: Bool, changedSince: UInt64?, readOnly: Bool) {
        var attributes = requested
        // RFC 3501 §6.4.8: UID FETCH responses always carry UID.
        if uid, !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        // RFC 7162 §3.1.4.1, §3.2: MODSEQ with UID FETCH and CHANGEDSINCE once CONDSTORE is on.
        if condStore, uid || changedSince != nil, !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        self.attributes = attributes
        let contentAttributes = attributes.filter { FetchEngine.need([$0]) != .nothing }
        if contentAttributes.count == 1, case .bodySection(let section, _, let partial?) = contentAttributes[0],
            section == BodySection()
        {
            wholeMessageRange = partial
        }
        // RFC 3501 §6.4.5: fetching body text sets \Seen, except with .PEEK; §6.3.2: EXAMINE never does.
        setsSeen = !readOnly && attributes.contains { $0.setsSeen }
        var derivedItems: [DerivedItem] = []
        var derivedIndex: [Int: Int] = [:]
        var others: [FetchAttribute] = []
        for (index, attribute) in attributes.enumerated() {
            guard let item = DerivedItem(attribute) else {
                others.append(attribute)
                continue
            }
            if let known = derivedItems.firstIndex(of: item) {
                derivedIndex[index] = known
            } else {
                derivedIndex[index] = derivedItems.count
                derivedItems.append(item)
            }
        }
        // A partial BODY[] alone is read by its range, not through the derived items.
        self.derivedItems = wholeMessageRange != nil ? [] : derivedItems
        self.derivedIndex = wholeMessageRange != nil ? [:] : derivedIndex
        otherNeed = wholeMessageRange != nil ? .nothing : FetchEngine.need(others)
        var sectionNames: [Int: String] = [:]
        for (index, attribute) in attributes.enumerated() {
            if case .bodySection(let section, _, _) = attribute {
                sectionNames[index] = FetchEngine.sectionName(section)
            }
        }
        self.sectionNames = sectionNames
    }

    /// Whether the header sections read for this FETCH are worth keeping in the store.
    ///
    /// Only when something other than a derived item (`BODY[HEADER]`, `RFC822.HEADER`…) is cut from
    /// them: derived items keep their own values, so a header sync leaves its fields, not whole headers.
    var keepsHeaders: Bool { otherNeed == .header }

    /// The UIDs among `messages` whose `\Seen` flag this FETCH sets: none unless `setsSeen`, and
    /// never one that has it already.
    func marksSeen(_ messages: [SelectedMailboxView.Message]) -> [UInt32] {
        guard setsSeen else { return [] }
        return messages.filter { !$0.flags.contains(.seen) }.map(\.uid)
    }
}
