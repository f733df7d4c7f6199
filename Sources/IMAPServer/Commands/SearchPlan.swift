/// What one SEARCH reads, decided from the command alone before any store call (RFC 3501 §6.4.4;
/// RFC 7162 §3.1.5), so that each rule is testable without a store.
struct SearchPlan: Equatable {
    /// The charsets a SEARCH may name (RFC 3501 §6.4.4: US-ASCII must be supported; UTF-8 is ours).
    static let charsets = ["UTF-8", "US-ASCII"]

    /// What must be read of each message: nothing (flags, sizes, dates), the header, or all of it.
    var need: FetchEngine.Need
    /// Whether the answer carries the highest MODSEQ of the matches (RFC 7162 §3.1.5: the criteria
    /// name MODSEQ).
    var reportsModSeq: Bool

    /// The plan for `search`; NO `[BADCHARSET]` for a charset not in `charsets`.
    init(_ search: SearchCommand) throws(CommandFailure) {
        if let charset = search.charset, !Self.charsets.contains(charset) {
            throw CommandFailure(.no, .badCharset(Self.charsets), "Unsupported charset")
        }
        need = SearchEngine.need(search.key)
        reportsModSeq = search.key.usesModSeq
    }
}

/// The answer to one SEARCH (RFC 3501 §7.2.5 SEARCH, RFC 4731 ESEARCH, RFC 7162 §3.1.5 MODSEQ),
/// rendered from the matching messages: no store call, so the rules are testable on their own.
enum SearchRenderer {
    /// One matching message.
    struct Match: Equatable {
        var msn: Int
        var uid: UInt32
        var modSeq: UInt64
    }

    /// The untagged SEARCH, or ESEARCH when the client gave RETURN options, for `found` in order.
    static func render(
        _ plan: SearchPlan,
        _ search: SearchCommand,
        found: [Match],
        uid: Bool,
        tag: String
    ) -> IMAPResponse {
        let numbers = found.map { uid ? $0.uid : UInt32($0.msn) }
        let modSeq: UInt64? = plan.reportsModSeq ? found.map(\.modSeq).max() : nil
        guard let options = search.returnOptions else {
            return .untagged(.search(numbers, modSeq: numbers.isEmpty ? nil : modSeq))
        }
        // RFC 4731 §3.1: RETURN () means RETURN (ALL); MIN, MAX and ALL are left out when nothing matched.
        var items: [ESearchItem] = []
        let wanted = options.isEmpty ? [.all] : options
        if wanted.contains(.min), let first = numbers.min() { items.append(.min(first)) }
        if wanted.contains(.max), let last = numbers.max() { items.append(.max(last)) }
        if wanted.contains(.all), !numbers.isEmpty { items.append(.all(SequenceSet.compact(numbers))) }
        if wanted.contains(.count) { items.append(.count(numbers.count)) }
        if let modSeq, !numbers.isEmpty { items.append(.modSeq(modSeq)) }
        return .untagged(.esearch(tag: tag, uid: uid, items))
    }
}
