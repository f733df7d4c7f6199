/// One end of a sequence range: a number or `*`, the largest number in use (RFC 3501 §9 `seq-number`).
public enum SequenceNumber: Sendable, Hashable {
    case number(UInt32)
    case last

    func resolved(last: UInt32) -> UInt32 {
        switch self {
        case .number(let n): n
        case .last: last
        }
    }
}

/// `sequence-set` (RFC 3501 §9): ranges in any order, either end first, possibly overlapping.
public struct SequenceSet: Sendable, Hashable {
    /// A range `first:second` of a sequence set, either end first.
    public struct Range: Sendable, Hashable {
        /// One end: a number or `*`.
        public var first: SequenceNumber
        /// The other end: a number or `*`.
        public var second: SequenceNumber
        /// The range `first:second`.
        public init(_ first: SequenceNumber, _ second: SequenceNumber) {
            self.first = first
            self.second = second
        }
    }
    /// The ranges, in the client's order.
    public var ranges: [Range]

    /// A set of these ranges.
    public init(_ ranges: [Range]) { self.ranges = ranges }

    /// The set `1:*`.
    public static let all = SequenceSet([Range(.number(1), .last)])

    /// Concrete closed ranges, given the largest number in use (message count or highest UID).
    ///
    /// `*` means `last`; `N:*` with N beyond `last` still contains `last` (RFC 3501 §6.4.8 / §9), so clients asking
    /// `UID FETCH 4000:*` in a mailbox whose last UID is 3999 get that message.
    public func closedRanges(last: UInt32) -> [ClosedRange<UInt32>] {
        ranges.map { range in
            let a = range.first.resolved(last: last)
            let b = range.second.resolved(last: last)
            return min(a, b)...max(a, b)
        }
    }

    /// Whether `value` is in the set.
    public func contains(_ value: UInt32, last: UInt32) -> Bool {
        closedRanges(last: last).contains { $0.contains(value) }
    }

    /// Builds the shortest set text covering sorted or unsorted `values` (for COPYUID and ESEARCH).
    public static func compact(_ values: [UInt32]) -> String {
        ordered(Array(Set(values)).sorted())
    }

    /// Like `compact` but keeps the given order, pairing ranges only where values ascend by one
    /// (COPYUID's source and destination sets must correspond element by element, RFC 4315 §3).
    public static func ordered(_ values: [UInt32]) -> String {
        var parts: [String] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count, values[end + 1] == values[end] &+ 1 { end += 1 }
            parts.append(end == index ? "\(values[index])" : "\(values[index]):\(values[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
