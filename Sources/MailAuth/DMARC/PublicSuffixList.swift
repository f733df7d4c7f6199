/// The Public Suffix List (https://publicsuffix.org), embedded.
///
/// It says which names are registries (`com`, `co.uk`, `github.io`), so that DMARC can find the organisational domain
/// (RFC 7489 §3.2). The rules are embedded in the binary (PublicSuffixListData.swift, made by
/// scripts/update-public-suffix-list.py from Debian's `publicsuffix` package or a download of the list).
public struct PublicSuffixList: Sendable {
    private let rules: Set<String>
    private let wildcards: Set<String>
    private let exceptions: Set<String>

    /// The list embedded in correo.
    public static let shared = PublicSuffixList(rules: embeddedRules)

    /// A list from its text: one rule a line, `//` comments and blank lines ignored.
    public init(rules text: String) {
        var rules = Set<String>()
        var wildcards = Set<String>()
        var exceptions = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let rule = line.split(whereSeparator: \.isWhitespace).first.map { $0.lowercased() } ?? ""
            if rule.isEmpty || rule.hasPrefix("//") { continue }
            if rule.hasPrefix("!") {
                exceptions.insert(String(rule.dropFirst()))
            } else if rule.hasPrefix("*.") {
                wildcards.insert(String(rule.dropFirst(2)))
            } else {
                rules.insert(rule)
            }
        }
        self.rules = rules
        self.wildcards = wildcards
        self.exceptions = exceptions
    }

    /// The public suffix of `domain` by the list's algorithm: the longest matching rule, an exception
    /// rule taking one label off, and "*" (the last label) when nothing matches.
    public func publicSuffix(of domain: String) -> String {
        let labels = domain.lowercased().trimmingDot().split(separator: ".").map(String.init)
        guard !labels.isEmpty else { return "" }
        var suffixLength = 1
        for count in stride(from: labels.count, through: 1, by: -1) {
            let candidate = labels.suffix(count).joined(separator: ".")
            if exceptions.contains(candidate) {
                suffixLength = count - 1
                break
            }
            // "*.candidate" is one label longer than "candidate": it wins when both are listed.
            if count < labels.count, wildcards.contains(candidate) {
                suffixLength = count + 1
                break
            }
            if rules.contains(candidate) || wildcards.contains(candidate) {
                suffixLength = count
                break
            }
        }
        return labels.suffix(suffixLength).joined(separator: ".")
    }

    /// The organisational domain (RFC 7489 §3.2): the public suffix and one label more; a name that
    /// is itself a public suffix is its own.
    public func organizationalDomain(of domain: String) -> String {
        let labels = domain.lowercased().trimmingDot().split(separator: ".").map(String.init)
        let suffixCount = publicSuffix(of: domain).split(separator: ".").count
        guard labels.count > suffixCount else { return labels.joined(separator: ".") }
        return labels.suffix(suffixCount + 1).joined(separator: ".")
    }
}
