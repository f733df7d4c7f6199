/// RFC 3501 2.3.2 keywords ("flag-keyword = atom"): what every backend stores, so that a keyword one
/// store took another takes too.
public enum Keyword {
    /// Longest keyword, in bytes.
    public static let maximumBytes = 100

    /// Whether `keyword` is an atom of printable ASCII without the atom-specials (parentheses, brace,
    /// space, the wildcards, the quote, the backslash that starts a system flag, the bracket) and no
    /// longer than `maximumBytes`.
    public static func isValid(_ keyword: String) -> Bool {
        let bytes = Array(keyword.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumBytes else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !atomSpecials.contains($0) }
    }

    private static let atomSpecials = Set("(){ %*\"\\]".utf8)
}
