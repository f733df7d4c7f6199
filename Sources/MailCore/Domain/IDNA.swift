import Foundation

/// Internationalised domain names (RFC 5890/5891): what a user types (`bücher.example`, a U-label) and
/// what goes on the wire, into DNS, certificates and the store (`xn--bcher-kva.example`, an A-label).
///
/// The mapping of typed text is an approximation of UTS #46: full-width and ideographic dots become
/// ".", letters are lower-cased and the text is put in Unicode NFC. UTS #46's full mapping table and
/// the IDNA2008 code point rules (RFC 5892: CONTEXTJ/CONTEXTO, bidi of RFC 5893) are not applied: a
/// name correo accepts might be refused by a registry, never the other way round for names in use.
public enum IDNA {
    /// Dots UTS #46 maps to U+002E: ideographic full stop, full-width full stop, half-width ideographic.
    private static let dots: Set<Character> = [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"]

    /// The A-label form of `domain`.
    ///
    /// Each label with non-ASCII letters as `xn--` + Punycode, the rest lower-cased; one trailing dot
    /// dropped. Nil when a label is empty or over 63 octets, the whole
    /// over 253, a label has characters no host name may hold (a space, `_`, `@`…), a label starts or
    /// ends with '-' or starts with a combining mark, or an `xn--` label is not valid Punycode. An address literal (`[192.0.2.1]`) is
    /// returned as it is.
    public static func toASCII(_ domain: String) -> String? {
        if domain.hasPrefix("["), domain.hasSuffix("]") { return domain }
        var mapped = String(domain.map { dots.contains($0) ? "." : $0 }).lowercased()
            .precomposedStringWithCanonicalMapping
        if mapped.hasSuffix(".") { mapped.removeLast() }
        var labels: [String] = []
        for label in mapped.split(separator: ".", omittingEmptySubsequences: false) {
            guard let ascii = asciiLabel(String(label)) else { return nil }
            labels.append(ascii)
        }
        let result = labels.joined(separator: ".")
        return result.utf8.count <= 253 ? result : nil
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

    private static func asciiLabel(_ label: String) -> String? {
        guard !label.isEmpty, !label.hasPrefix("-"), !label.hasSuffix("-") else { return nil }
        // RFC 5891 §4.2.3.2: a label must not begin with a combining mark.
        if let first = label.unicodeScalars.first, isMark(first) { return nil }
        let ascii: String
        if label.unicodeScalars.allSatisfy(\.isASCII) {
            // An A-label must decode to something that is not plain ASCII (RFC 5891 §5.4).
            if label.hasPrefix("xn--") {
                guard let decoded = Punycode.decode(String(label.dropFirst(4))), isInternationalized(decoded)
                else { return nil }
            }
            ascii = label
        } else {
            // Letters, digits and '-' of ASCII, and any non-ASCII scalar that is not a space or control.
            guard label.unicodeScalars.allSatisfy({ $0.isASCII ? isHostCharacter($0) : !isExcluded($0) }),
                let encoded = Punycode.encode(label)
            else { return nil }
            ascii = "xn--" + encoded
        }
        guard ascii.utf8.count <= 63, ascii.unicodeScalars.allSatisfy(isHostCharacter) else { return nil }
        return ascii
    }

    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "-": true
        default: false
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    private static func isExcluded(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
            || scalar.properties.generalCategory == .format && scalar.value != 0x200C && scalar.value != 0x200D
    }
}
