import Foundation

/// Internationalised domain names (RFC 5890/5891): what a user types (`bücher.example`, a U-label) and
/// what goes on the wire, into DNS, certificates and the store (`xn--bcher-kva.example`, an A-label).
///
/// Typed text is mapped as UTS #46 maps it, as far as Foundation can without UTS #46's table (`IDNA+Mapping.swift`):
/// NFKC with lower-casing to a fixed point (full-width letters, ligatures, `Ⅻ`), the characters UTS #46 maps to
/// nothing removed (soft hyphen, zero-width space, variation selectors; ZWJ/ZWNJ except after a virama), every dot
/// UTS #46 knows made ".". Each label is then checked as RFC 5891 §4.2 and §5.4 ask: no leading combining mark, no
/// "--" in the third and fourth positions but in an A-label, no hyphen at either end, LDH in ASCII, at most 63
/// octets, 253 in all, and an A-label that decodes to a mapped U-label and encodes back to itself. The bidi rules
/// (RFC 5893) and RFC 5892's code point table are not applied: a name correo accepts might still be refused by a
/// registry, never the other way round for names in use.
public enum IDNA {
    /// The A-label form of `domain`, or nil when it is not a domain name (`ascii(_:)` says why).
    ///
    /// An address literal (`[192.0.2.1]`) is returned as it is; one trailing dot is dropped.
    public static func toASCII(_ domain: String) -> String? {
        try? ascii(domain)
    }

    /// The A-label form of `domain`: each label with non-ASCII letters as `xn--` + Punycode, the rest lower-cased.
    ///
    /// Throws `IDNAError`, which names the label at fault and the rule it breaks.
    public static func ascii(_ domain: String) throws(IDNAError) -> String {
        if domain.hasPrefix("["), domain.hasSuffix("]") { return domain }
        var mapped = map(domain)
        if mapped.hasSuffix(".") { mapped.removeLast() }
        var labels: [String] = []
        for label in mapped.split(separator: ".", omittingEmptySubsequences: false) {
            labels.append(try asciiLabel(String(label), in: domain))
        }
        let result = labels.joined(separator: ".")
        guard result.utf8.count <= 253 else { throw IDNAError(domain: domain, label: nil, reason: .nameTooLong) }
        return result
    }

    /// The U-label form of `domain`, for showing to people.
    ///
    /// Each valid `xn--` label decoded, the rest as given. Never fails: a label that does not decode
    /// stays as it is.
    public static func toUnicode(_ domain: String) -> String {
        domain.split(separator: ".", omittingEmptySubsequences: false).map { label in
            guard label.lowercased().hasPrefix("xn--"), let decoded = Punycode.decode(String(label.dropFirst(4)))
            else { return String(label) }
            return decoded
        }.joined(separator: ".")
    }

    /// Whether `domain` has a label beyond ASCII, that is, is in U-label form.
    public static func isInternationalized(_ domain: String) -> Bool {
        domain.unicodeScalars.contains { !$0.isASCII }
    }

    /// One mapped label as an A-label (or as itself in ASCII), checked by RFC 5891's rules.
    private static func asciiLabel(_ label: String, in domain: String) throws(IDNAError) -> String {
        func refuse(_ reason: IDNAError.Reason) -> IDNAError { IDNAError(domain: domain, label: label, reason: reason) }
        guard !label.isEmpty else { throw refuse(.emptyLabel) }
        guard !label.hasPrefix("-"), !label.hasSuffix("-") else { throw refuse(.hyphenAtEnd) }
        // RFC 5891 §4.2.3.2: a label must not begin with a combining mark.
        if let first = label.unicodeScalars.first, isMark(first) { throw refuse(.leadingCombiningMark) }
        let ascii: String
        if label.unicodeScalars.allSatisfy(\.isASCII) {
            if label.hasPrefix("xn--") {
                try checkALabel(label, refuse: refuse)
            } else if hasHyphensAtThreeAndFour(label) {
                // RFC 5891 §4.2.3.1: "--" there is reserved for tagged labels such as xn--.
                throw refuse(.hyphensInThirdAndFourthPositions)
            }
            ascii = label
        } else {
            if hasHyphensAtThreeAndFour(label) { throw refuse(.hyphensInThirdAndFourthPositions) }
            if let bad = label.unicodeScalars.first(where: { $0.isASCII ? !isHostCharacter($0) : isExcluded($0) }) {
                throw refuse(.disallowed(bad))
            }
            guard let encoded = Punycode.encode(label) else { throw refuse(.notPunycode) }
            ascii = "xn--" + encoded
            // RFC 5891 §5.4 (and UTS #46 §4.1): the A-label decodes to the same U-label, already mapped.
            guard let decoded = Punycode.decode(encoded),
                map(decoded).unicodeScalars.elementsEqual(label.unicodeScalars)
            else { throw refuse(.notRoundTrip) }
        }
        guard ascii.utf8.count <= 63 else { throw refuse(.labelTooLong(ascii.utf8.count)) }
        if let bad = ascii.unicodeScalars.first(where: { !isHostCharacter($0) }) { throw refuse(.disallowed(bad)) }
        return ascii
    }

    /// An `xn--` label as typed: valid Punycode of a U-label that is not plain ASCII, in mapped form, passing the
    /// U-label rules, and encoding back to exactly this label.
    private static func checkALabel(_ label: String, refuse: (IDNAError.Reason) -> IDNAError) throws(IDNAError) {
        guard let decoded = Punycode.decode(String(label.dropFirst(4))) else { throw refuse(.notPunycode) }
        // An A-label must decode to something that is not plain ASCII (RFC 5891 §5.4).
        guard isInternationalized(decoded) else { throw refuse(.notRoundTrip) }
        let mapped = map(decoded)
        guard mapped.unicodeScalars.elementsEqual(decoded.unicodeScalars),
            Punycode.encode(mapped).map({ "xn--" + $0 }) == label
        else { throw refuse(.notRoundTrip) }
        if let first = decoded.unicodeScalars.first, isMark(first) { throw refuse(.leadingCombiningMark) }
        if hasHyphensAtThreeAndFour(decoded) { throw refuse(.hyphensInThirdAndFourthPositions) }
        if let bad = decoded.unicodeScalars.first(where: { $0.isASCII ? !isHostCharacter($0) : isExcluded($0) }) {
            throw refuse(.disallowed(bad))
        }
    }

    private static func hasHyphensAtThreeAndFour(_ label: String) -> Bool {
        let scalars = Array(label.unicodeScalars.prefix(4))
        return scalars.count == 4 && scalars[2] == "-" && scalars[3] == "-"
    }

    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "-": true
        default: false
        }
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// Spaces, controls and format characters (ZWJ and ZWNJ kept by the mapping only in their context).
    private static func isExcluded(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
            || scalar.properties.generalCategory == .format && scalar.value != 0x200C && scalar.value != 0x200D
    }
}

/// Why a typed domain is not a domain name, naming the label at fault.
public struct IDNAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rules of RFC 5891 §4.2 and §5.4 a label can break.
    public enum Reason: Equatable, Sendable {
        /// Two dots in a row, or a leading dot.
        case emptyLabel
        /// The A-label is longer than 63 octets (its length given).
        case labelTooLong(Int)
        /// The name is longer than 253 octets.
        case nameTooLong
        /// A label begins or ends with '-'.
        case hyphenAtEnd
        /// "--" in the third and fourth positions of a label that is not an A-label.
        case hyphensInThirdAndFourthPositions
        /// The label begins with a combining mark.
        case leadingCombiningMark
        /// A character no host name may hold.
        case disallowed(Unicode.Scalar)
        /// An `xn--` label that is not Punycode.
        case notPunycode
        /// An A-label that does not decode to a mapped U-label encoding back to it.
        case notRoundTrip
    }

    /// The domain as given.
    public let domain: String
    /// The label at fault (after mapping), nil for the whole name.
    public let label: String?
    /// The rule broken.
    public let reason: Reason

    /// One line for the person who typed the name.
    public var description: String {
        let what = label.map { "label \"\($0)\"" } ?? "the name"
        let why =
            switch reason {
            case .emptyLabel: "is empty (two dots in a row, or a dot at the start)"
            case .labelTooLong(let octets): "is \(octets) octets as an A-label, over the 63 a label may have"
            case .nameTooLong: "is over the 253 octets a domain name may have"
            case .hyphenAtEnd: "begins or ends with a hyphen"
            case .hyphensInThirdAndFourthPositions: "has hyphens in the third and fourth positions, kept for xn--"
            case .leadingCombiningMark: "begins with a combining mark"
            case .disallowed(let scalar):
                "holds U+\(String(scalar.value, radix: 16, uppercase: true)), which no host name may have"
            case .notPunycode: "is not valid Punycode after xn--"
            case .notRoundTrip: "is not an A-label whose U-label maps and encodes back to it"
            }
        return "\(domain) is not a domain name: \(what) \(why)"
    }
}
