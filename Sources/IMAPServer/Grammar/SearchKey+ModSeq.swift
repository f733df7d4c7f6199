extension SearchKey {
    /// Whether the criteria name MODSEQ (RFC 7162 §3.1.5), which makes SEARCH report the highest one.
    var usesModSeq: Bool {
        switch self {
        case .modSeq: true
        case .and(let keys): keys.contains { $0.usesModSeq }
        case .or(let a, let b): a.usesModSeq || b.usesModSeq
        case .not(let key): key.usesModSeq
        default: false
        }
    }
}
