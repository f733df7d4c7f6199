extension Array where Element == UInt8 {
    /// Appends `value` in decimal as `String(value)` spells it, with zeros in front up to `width` digits.
    ///
    /// For text built as octets on hot paths (a Maildir file name, a Date: field for every message):
    /// string interpolation of the same numbers cost several times the instructions (callgrind).
    public mutating func appendDecimal(_ value: Int, width: Int = 1) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            // The magnitude as unsigned: -Int.min does not fit in an Int.
            appendDigits(value.magnitude, width: width)
        } else {
            appendDigits(UInt(value), width: width)
        }
    }

    private mutating func appendDigits(_ value: UInt, width: Int) {
        var divisor: UInt = 1
        var digits = 1
        while divisor <= value / 10 {
            divisor *= 10
            digits += 1
        }
        if width > digits { append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits)) }
        var rest = value
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
