/// Decimal numbers read straight from bytes, for the index files and file names a folder's first
/// open reads by the thousand (making a String per number cost more than the rest of the parse).
enum DecimalDigits {
    /// The number `bytes` spell as `Int(String)` reads it: an optional '+' or '-', then only digits.
    ///
    /// Nil for anything else, an empty number, or one beyond Int's range.
    static func integer(_ bytes: some Collection<UInt8>) -> Int? {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowNext) =
                negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflowTimes || overflowNext { return nil }
            value = next
        }
        return value
    }
}
