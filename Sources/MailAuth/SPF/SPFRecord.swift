/// A parsed SPF record (RFC 7208 §4.6, §12's ABNF): its directives in order and the two modifiers.
public struct SPFRecord: Sendable, Hashable {
    /// A directive's qualifier and the result it gives when its mechanism matches (§4.6.2).
    public enum Qualifier: Character, Sendable, Hashable {
        case pass = "+"
        case fail = "-"
        case softfail = "~"
        case neutral = "?"

        var result: SPFResult {
            switch self {
            case .pass: .pass
            case .fail: .fail
            case .softfail: .softfail
            case .neutral: .neutral
            }
        }
    }

    /// A mechanism (§5), domain-specs still with their macros.
    public enum Mechanism: Sendable, Hashable {
        case all
        case include(String)
        case a(domain: String?, v4: Int, v6: Int)
        case mx(domain: String?, v4: Int, v6: Int)
        case ptr(String?)
        case ip4(IPNetwork)
        case ip6(IPNetwork)
        case exists(String)

        /// Whether evaluating it asks the DNS (§4.6.4 counts these).
        var queriesDNS: Bool {
            switch self {
            case .include, .a, .mx, .ptr, .exists: true
            case .all, .ip4, .ip6: false
            }
        }
    }

    /// A directive (§4.6.2): a mechanism and the qualifier that says what its match means.
    public struct Directive: Sendable, Hashable {
        /// The qualifier; `+` when none is written.
        public var qualifier: Qualifier
        /// The mechanism (§5) whose match against the client decides.
        public var mechanism: Mechanism
    }

    /// The directives, in the order they are evaluated (§4.6.2).
    public var directives: [Directive]
    /// The `redirect=` modifier (§6.1): the domain whose record applies when nothing matched.
    public var redirect: String?
    /// The `exp=` modifier (§6.2): where the sender's explanation of a fail is published.
    public var explanation: String?

    /// Why a record is a `permerror`.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The term that does not parse.
        public var term: String
        /// The reason in words, for the log and the Authentication-Results comment.
        public var description: String { "invalid SPF term \"\(term)\"" }
    }

    /// Whether `text` is an SPF record at all: "v=spf1" alone or followed by a space (§4.5).
    public static func isSPF(_ text: [UInt8]) -> Bool {
        let prefix = Array("v=spf1".utf8)
        guard text.count >= prefix.count, text.prefix(prefix.count).map({ $0 | 0x20 }) == prefix.map({ $0 | 0x20 })
        else {
            return false
        }
        return text.count == prefix.count || text[prefix.count] == 0x20
    }

    /// Parses a record (the TXT strings joined), "v=spf1" included.
    public init(parsing text: [UInt8]) throws(SyntaxError) {
        let record = String(decoding: text, as: UTF8.self)
        var terms = record.split(separator: " ").map(String.init)
        guard let version = terms.first, version.lowercased() == "v=spf1" else {
            throw SyntaxError(term: terms.first ?? "")
        }
        terms.removeFirst()
        var directives: [Directive] = []
        var redirect: String?
        var explanation: String?
        for term in terms {
            // A modifier is name=value where the name is ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
            if let equals = term.firstIndex(of: "="), Self.isModifierName(term[..<equals]) {
                let name = term[..<equals].lowercased()
                let value = String(term[term.index(after: equals)...])
                guard Self.isDomainSpec(value) || (name != "redirect" && name != "exp") else {
                    throw SyntaxError(term: term)
                }
                switch name {
                case "redirect":
                    guard redirect == nil else { throw SyntaxError(term: term) }
                    redirect = value
                case "exp":
                    guard explanation == nil else { throw SyntaxError(term: term) }
                    explanation = value
                default:
                    // Unknown modifiers are ignored (§6), but their value must still be a valid macro-string.
                    guard SPFMacro.isValid(value) else { throw SyntaxError(term: term) }
                }
                continue
            }
            var rest = Substring(term)
            var qualifier = Qualifier.pass
            if let first = rest.first, let q = Qualifier(rawValue: first) {
                qualifier = q
                rest = rest.dropFirst()
            }
            guard let mechanism = Self.mechanism(rest) else { throw SyntaxError(term: term) }
            directives.append(Directive(qualifier: qualifier, mechanism: mechanism))
        }
        self.directives = directives
        self.redirect = redirect
        self.explanation = explanation
    }

    private static func isModifierName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    private static func mechanism(_ text: Substring) -> Mechanism? {
        let nameEnd = text.firstIndex { $0 == ":" || $0 == "/" } ?? text.endIndex
        let name = text[..<nameEnd].lowercased()
        var argument = text[nameEnd...]
        switch name {
        case "all":
            return argument.isEmpty ? .all : nil
        case "include", "exists":
            guard argument.first == ":" else { return nil }
            let domain = String(argument.dropFirst())
            guard isDomainSpec(domain) else { return nil }
            return name == "include" ? .include(domain) : .exists(domain)
        case "a", "mx":
            var domain: String?
            if argument.first == ":" {
                let end = argument.firstIndex(of: "/") ?? argument.endIndex
                let spec = String(argument[argument.index(after: argument.startIndex)..<end])
                guard isDomainSpec(spec) else { return nil }
                domain = spec
                argument = argument[end...]
            }
            guard let (v4, v6) = dualCIDR(argument) else { return nil }
            return name == "a" ? .a(domain: domain, v4: v4, v6: v6) : .mx(domain: domain, v4: v4, v6: v6)
        case "ptr":
            if argument.isEmpty { return .ptr(nil) }
            guard argument.first == ":", isDomainSpec(String(argument.dropFirst())) else { return nil }
            return .ptr(String(argument.dropFirst()))
        case "ip4":
            guard argument.first == ":", let network = IPNetwork(String(argument.dropFirst()), ipv6: false) else {
                return nil
            }
            return .ip4(network)
        case "ip6":
            guard argument.first == ":", let network = IPNetwork(String(argument.dropFirst()), ipv6: true) else {
                return nil
            }
            return .ip6(network)
        default:
            return nil
        }
    }

    /// `[ "/" ip4-cidr-length ] [ "//" ip6-cidr-length ]` (§5.6).
    private static func dualCIDR(_ text: Substring) -> (Int, Int)? {
        if text.isEmpty { return (32, 128) }
        var v4 = 32
        var v6 = 128
        var rest = text
        if rest.hasPrefix("/"), !rest.hasPrefix("//") {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isNumber }
            guard let value = cidrLength(digits, max: 32) else { return nil }
            v4 = value
            rest = rest.dropFirst(digits.count)
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard let value = cidrLength(rest, max: 128) else { return nil }
            v6 = value
            rest = rest.dropFirst(rest.count)
        }
        return rest.isEmpty ? (v4, v6) : nil
    }

    /// A CIDR length: digits without a leading zero (§5.6's ABNF), at most `max`.
    static func cidrLength(_ digits: Substring, max: Int) -> Int? {
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            digits == "0" || digits.first != "0", let value = Int(digits), value <= max
        else { return nil }
        return value
    }

    /// A domain-spec (§7.1): valid macros, and, when the end has no macro, a top label that is not all
    /// digits.
    static func isDomainSpec(_ text: String) -> Bool {
        guard !text.isEmpty, SPFMacro.isValid(text) else { return false }
        if text.hasSuffix("}") { return true }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        var top = labels.last ?? ""
        if top.isEmpty, labels.count > 1 { top = labels[labels.count - 2] }  // a trailing dot
        return !top.isEmpty && !top.allSatisfy(\.isNumber) && labels.count > 1
    }
}
