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
        // Written backwards into room for the 20 digits a UInt can have, then appended at once: one
        // capacity check rather than one per digit, and division by the constant 10 only.
        var room: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &room) { digits in
            var position = digits.count
            var rest = value
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            let count = digits.count - position
            if width > count { append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - count)) }
            append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[position...]))
        }
    }
}
