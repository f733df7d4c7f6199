extension SearchKey {
    /// Whether the criteria compare INTERNALDATE (BEFORE, ON, SINCE: RFC 3501 §6.4.4), which a store
    /// that reads dates lazily must read for every message searched.
    var usesInternalDate: Bool {
        switch self {
        case .before, .on, .since: true
        case .and(let keys): keys.contains { $0.usesInternalDate }
        case .or(let a, let b): a.usesInternalDate || b.usesInternalDate
        case .not(let key): key.usesInternalDate
        default: false
        }
    }
}
