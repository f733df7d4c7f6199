/// RFC 3977 §6.1.4 / §8.3: an article number range — `n`, `n-` (n and above) or `n-m`.
///
/// A range whose end is below its start is valid and empty (§8.3.2).
public struct ArticleRange: Equatable, Sendable {
    /// The first number.
    public var low: UInt32
    /// The last number, nil for "and all above".
    public var high: UInt32?

    /// A range.
    public init(low: UInt32, high: UInt32?) {
        self.low = low
        self.high = high
    }

    /// One article.
    public static func single(_ number: UInt32) -> ArticleRange { ArticleRange(low: number, high: number) }

    /// Parses `n`, `n-` or `n-m` (1 to 16 digits each, §3.1's article-number; larger than the store's
    /// 32-bit numbers means "above every article").
    public init(_ text: Substring) throws {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let low = Self.number(parts[0]) else { throw NNTPSyntaxError("not an article range: \(text)") }
        self.low = low
        if parts.count == 1 {
            high = low
        } else if parts[1].isEmpty {
            high = nil
        } else {
            guard let high = Self.number(parts[1]) else { throw NNTPSyntaxError("not an article range: \(text)") }
            self.high = high
        }
    }

    /// An article number: 1 to 16 ASCII digits; values above `UInt32.max` are clamped there.
    static func number(_ text: Substring) -> UInt32? {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt32(clamping: UInt64(text) ?? UInt64.max)
    }

    /// Whether `number` lies in the range.
    public func contains(_ number: UInt32) -> Bool {
        number >= low && (high.map { number <= $0 } ?? true)
    }
}
