/// An RFC 3977 §4 wildmat: patterns separated by commas, each optionally negated with `!`, where `*`
/// matches any run of characters and `?` one character.
///
/// §4.2: the patterns are tried right to left; the first that matches decides — a match if it is
/// plain, no match if it is negated. A name no pattern matches does not match.
public struct Wildmat: Equatable, Sendable, CustomStringConvertible {
    /// One pattern and whether it was negated.
    public struct Pattern: Equatable, Sendable {
        /// Whether the pattern began with `!`.
        public var negated: Bool
        /// The pattern's characters, `*` and `?` included.
        public var characters: [Unicode.Scalar]
    }

    /// The patterns, left to right as written.
    public let patterns: [Pattern]
    /// The wildmat as written.
    public let description: String

    /// Matches every name (`*`); built from its one pattern, since parsing can throw.
    public static let all = Wildmat(patterns: [Pattern(negated: false, characters: ["*"])], description: "*")

    /// Parses a wildmat; throws for an empty pattern or one with the characters §4.1 excludes
    /// (`[`, `\`, `,` inside a pattern, control characters, spaces).
    public init(_ text: String) throws {
        var patterns: [Pattern] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            var scalars = Array(piece.unicodeScalars)
            var negated = false
            if scalars.first == "!" {
                negated = true
                scalars.removeFirst()
            }
            guard !scalars.isEmpty else { throw NNTPSyntaxError("empty pattern in wildmat") }
            for scalar in scalars
            where scalar.value <= 0x20 || scalar.value == 0x7F || scalar == "[" || scalar == "\\"
                || scalar == "!" || scalar == "]"
            {
                throw NNTPSyntaxError("character not allowed in a wildmat: U+\(String(scalar.value, radix: 16))")
            }
            patterns.append(Pattern(negated: negated, characters: scalars))
        }
        self.patterns = patterns
        description = text
    }

    private init(patterns: [Pattern], description: String) {
        self.patterns = patterns
        self.description = description
    }

    /// Whether `name` matches (§4.2: the rightmost matching pattern decides).
    public func matches(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        for pattern in patterns.reversed() where Self.match(pattern.characters[...], scalars[...]) {
            return !pattern.negated
        }
        return false
    }

    /// Glob matching with `*` and `?`, iterative with one backtrack point (linear in practice, never
    /// exponential, so a hostile pattern costs at most pattern × name steps).
    static func match(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex
        var n = name.startIndex
        var star: Int?
        var starName = name.startIndex
        while n < name.endIndex {
            if p < pattern.endIndex, pattern[p] == "?" || pattern[p] == name[n] {
                p += 1
                n += 1
            } else if p < pattern.endIndex, pattern[p] == "*" {
                star = p
                starName = n
                p += 1
            } else if let star {
                p = star + 1
                starName += 1
                n = starName
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }
}
