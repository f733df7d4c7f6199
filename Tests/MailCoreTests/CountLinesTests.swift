import Testing

@testable import MailCore

/// `MIMEScanner.countLines` (memchr) against the plain definition, byte by byte: every line feed in
/// the range is a line, and a bare one when the byte before it in the range is not a carriage return.
struct CountLinesTests {
    private static func reference(_ bytes: [UInt8], _ start: Int, _ end: Int) -> (Int, Int) {
        var lines = 0
        var bare = 0
        for index in start..<max(start, end) where bytes[index] == 0x0A {
            lines += 1
            if index == start || bytes[index - 1] != 0x0D { bare += 1 }
        }
        return (lines, bare)
    }

    @Test func countsAsTheByteByByteDefinitionOnEveryRange() {
        // Few distinct bytes, so CR, LF and CR LF come often and next to each other and the ends.
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x61, 0x0D, 0x0A]
        for length in [0, 1, 2, 3, 17, 64, 300] {
            for _ in 0..<40 {
                let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }
                bytes.withUnsafeBufferPointer { buffer in
                    let scanner = MIMEScanner(buffer: buffer)
                    for start in Swift.stride(from: 0, through: length, by: max(1, length / 7)) {
                        for end in Swift.stride(from: start, through: length, by: max(1, length / 5)) {
                            let counted = scanner.countLines(start, end)
                            let expected = Self.reference(bytes, start, end)
                            #expect(
                                counted.lines == expected.0 && counted.bare == expected.1,
                                "\(bytes) \(start)..<\(end)"
                            )
                        }
                    }
                }
            }
        }
    }

    @Test func aLineFeedAtTheStartIsBareEvenAfterACarriageReturnOutsideTheRange() {
        let bytes: [UInt8] = Array("a\r\nb\nc".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            let scanner = MIMEScanner(buffer: buffer)
            #expect(scanner.countLines(0, bytes.count) == (2, 1))
            #expect(scanner.countLines(2, bytes.count) == (2, 2))
            #expect(scanner.countLines(5, bytes.count) == (0, 0))
        }
    }
}
