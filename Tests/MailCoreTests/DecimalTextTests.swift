import MailCore
import Testing

/// Numbers appended as octets read exactly as String spells them, padded to the width asked.
@Suite struct DecimalTextTests {
    @Test(arguments: [0, 1, 9, 10, 99, 100, 999_999, 1_000_000, 1_796_000_000, -1, -42, Int.max, Int.min])
    func decimalIsStringsSpelling(value: Int) {
        var octets: [UInt8] = []
        octets.appendDecimal(value)
        #expect(String(decoding: octets, as: UTF8.self) == String(value))
    }

    @Test func widthPadsWithZerosAndNeverCuts() {
        func text(_ value: Int, _ width: Int) -> String {
            var octets = Array("x".utf8)
            octets.appendDecimal(value, width: width)
            return String(decoding: octets, as: UTF8.self)
        }
        #expect(text(7, 2) == "x07")
        #expect(text(42, 6) == "x000042")
        #expect(text(999_999, 6) == "x999999")
        #expect(text(1_234_567, 6) == "x1234567")
        #expect(text(0, 6) == "x000000")
        #expect(text(5, 0) == "x5")
    }
}
