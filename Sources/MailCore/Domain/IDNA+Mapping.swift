import Foundation

extension IDNA {
    /// Dots UTS #46 maps to U+002E: ideographic full stop, full-width full stop, half-width ideographic.
    private static let dots: Set<Unicode.Scalar> = [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"]

    /// Characters UTS #46 maps to nothing ("ignored"): soft hyphen, combining grapheme joiner, Mongolian free
    /// variation selectors, zero-width space, word joiner and invisible operators, zero-width no-break space, and
    /// the variation selectors.
    static func isIgnored(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00AD, 0x034F, 0x180B...0x180D, 0x180F, 0x200B, 0x2060...0x2064, 0xFEFF, 0xFE00...0xFE0F,
            0xE0100...0xE01EF:
            true
        default: false
        }
    }

    /// What a user typed, mapped as UTS #46 does where Foundation can without the table: compatibility forms
    /// (NFKC: full-width letters, ligatures) and upper case to a fixed point, ignored characters removed, every
    /// dot made ".".
    ///
    /// ZWJ and ZWNJ stay only right after a virama, the context of RFC 5892 Appendix A.1/A.2 that needs no
    /// joining-type table; elsewhere they are removed, as UTS #46's transitional mapping does.
    public static func map(_ text: String) -> String {
        var current = text
        // NFKC and lower-casing can each undo the other's fixed point (U+1E9E, U+2126…); a few rounds settle it.
        for _ in 0..<4 {
            let next = current.precomposedStringWithCompatibilityMapping.lowercased()
                .precomposedStringWithCompatibilityMapping
            if next == current { break }
            current = next
        }
        var scalars = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in current.unicodeScalars {
            if isIgnored(scalar) { continue }
            if scalar.value == 0x200C || scalar.value == 0x200D {
                // Canonical combining class 9 is the virama.
                guard let previous, previous.properties.canonicalCombiningClass.rawValue == 9 else { continue }
            }
            let mapped = dots.contains(scalar) ? "." : scalar
            scalars.append(mapped)
            previous = mapped
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }
}
