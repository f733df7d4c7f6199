import MailStore

/// What one STORE changes, decided from the command and the selected mailbox alone, before any store
/// call (RFC 3501 §6.4.6, §6.4.8; RFC 7162 §3.1.3), so that each rule is testable without a store.
struct StorePlan: Equatable {
    /// The system flags to add, remove or set (`\Recent` cannot be stored).
    var flags: MessageFlags
    /// The keywords to add, remove or set, each once.
    var keywords: [String]
    /// FLAGS, +FLAGS or -FLAGS.
    var operation: FlagOperation
    /// The UIDs whose flags change.
    var changing: [UInt32]
    /// The messages UNCHANGEDSINCE refused (changed after the client's MODSEQ), as sequence numbers,
    /// or UIDs for UID STORE: the `[MODIFIED]` response code of RFC 7162 §3.1.3.
    var modified: [UInt32]
    /// Whether each changed message gets an untagged FETCH (RFC 3501 §6.4.6: not with .SILENT, except
    /// that a CONDSTORE client of UNCHANGEDSINCE still learns the new MODSEQ, RFC 7162 §3.1.3).
    var reportsChanges: Bool
    /// Whether that FETCH carries FLAGS (not with .SILENT).
    var reportsFlags: Bool
    /// Whether it carries UID (UID STORE, RFC 3501 §6.4.8).
    var reportsUID: Bool
    /// Whether it carries MODSEQ (CONDSTORE enabled, RFC 7162 §3.2).
    var reportsModSeq: Bool

    /// The plan for `store` on `targets`, the messages the set named.
    ///
    /// `msn` gives a UID's sequence number in the selected mailbox.
    init(
        _ store: StoreCommand,
        targets: [SelectedMailboxView.Message],
        uid: Bool,
        condStore: Bool,
        msn: (UInt32) -> Int?
    ) {
        (flags, keywords) = Self.split(store.flags)
        operation =
            switch store.operation {
            case .add: .add
            case .remove: .remove
            case .replace: .replace
            }
        var changing = targets
        modified = []
        if let unchangedSince = store.unchangedSince {
            modified = changing.filter { $0.modSeq > unchangedSince }.map { uid ? $0.uid : UInt32(msn($0.uid) ?? 0) }
            changing = changing.filter { $0.modSeq <= unchangedSince }
        }
        self.changing = changing.map(\.uid)
        reportsChanges = !store.silent || (condStore && store.unchangedSince != nil)
        reportsFlags = !store.silent
        reportsUID = uid
        reportsModSeq = condStore
    }

    /// Splits IMAP flags into MailStore's system flags and keywords (`\Recent` cannot be stored).
    static func split(_ flags: [Flag]) -> (MessageFlags, [String]) {
        var system: MessageFlags = []
        var keywords: [String] = []
        for flag in flags {
            if let known = MessageFlags(imapName: flag.rawValue) {
                system.insert(known)
            } else if !flag.isSystemFlag, !keywords.contains(flag.rawValue) {
                keywords.append(flag.rawValue)
            }
        }
        return (system, keywords)
    }
}

/// The responses of one STORE (RFC 3501 §6.4.6, §7.4.2; RFC 7162 §3.1.3), rendered from the plan and
/// what the store changed: no store call, so the rules are testable on their own.
enum StoreRenderer {
    /// The untagged FETCH for one changed message, or nil where the plan reports none (.SILENT).
    static func fetch(
        _ plan: StorePlan,
        msn: Int,
        uid: UInt32,
        flags: [Flag],
        modSeq: UInt64
    ) -> IMAPResponse? {
        guard plan.reportsChanges else { return nil }
        var items: [FetchResponseItem] = []
        if plan.reportsUID { items.append(.uid(uid)) }
        if plan.reportsFlags { items.append(.flags(flags)) }
        if plan.reportsModSeq { items.append(.modSeq(modSeq)) }
        return .untagged(.fetch(msn, items))
    }

    /// The tagged completion: OK, with `[MODIFIED]` when UNCHANGEDSINCE refused some messages.
    static func completion(_ plan: StorePlan, tag: String) -> IMAPResponse {
        let name = plan.reportsUID ? "UID STORE" : "STORE"
        guard plan.modified.isEmpty else {
            return .ok(tag, .modified(SequenceSet.compact(plan.modified)), "Conditional \(name) failed")
        }
        return .ok(tag, "\(name) completed")
    }
}
