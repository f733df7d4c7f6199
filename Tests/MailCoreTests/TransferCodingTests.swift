import Testing

@testable import MailCore

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A small seeded generator so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

@Test func base64KnownValuesAndLineLength() {
    #expect(Base64.encode(bytes("Man"), lineLength: 0) == bytes("TWFu"))
    #expect(Base64.encode(bytes("Ma"), lineLength: 0) == bytes("TWE="))
    #expect(Base64.encode(bytes("M")) == bytes("TQ==\r\n"))
    let long = Base64.encode([UInt8](repeating: 0xFF, count: 200))
    let lines = long.split(separator: ASCII.lf)
    #expect(lines.dropLast().allSatisfy { $0.count == 77 })  // 76 characters and CR
    #expect(long.suffix(2) == [ASCII.cr, ASCII.lf])
}

@Test func base64DecodeIgnoresWhitespaceGarbageAndMissingPadding() {
    #expect(Base64.decode(bytes("TW Fu\r\n!!TWE")) == bytes("ManMa"))
    #expect(Base64.decode(bytes("TQ==TWFu")) == bytes("MMan"))
    #expect(Base64.decode(bytes("*")) == [])
}

@Test func base64RoundTripsRandomInputsInAnyChunking() {
    var generator = SeededGenerator(seed: 1)
    for _ in 0..<300 {
        let input = generator.bytes(Int.random(in: 0...500, using: &generator))
        var encoder = Base64Encoder()
        var encoded: [UInt8] = []
        var index = 0
        while index < input.count {
            let step = Int.random(in: 1...17, using: &generator)
            encoded += encoder.encode(input[index..<min(index + step, input.count)])
            index += step
        }
        encoded += encoder.finish()
        #expect(encoded.split(separator: ASCII.lf).allSatisfy { $0.count <= 77 })
        var decoder = Base64Decoder()
        var decoded: [UInt8] = []
        for chunk in stride(from: 0, to: encoded.count, by: 5) {
            decoded += decoder.decode(encoded[chunk..<min(chunk + 5, encoded.count)])
        }
        decoded += decoder.finish()
        #expect(decoded == input)
    }
}

@Test func quotedPrintableEncodesPerRFC2045() {
    #expect(QuotedPrintable.encode(bytes("a=b")) == bytes("a=3Db"))
    #expect(QuotedPrintable.encode(bytes("end \r\nnext\t")) == bytes("end=20\r\nnext=09"))
    #expect(QuotedPrintable.encode(bytes("caf\u{E9}")) == bytes("caf=C3=A9"))
    #expect(QuotedPrintable.encode(bytes("a\nb")) == bytes("a\r\nb"))
    #expect(QuotedPrintable.encode(bytes("a\r\nb"), binary: true) == bytes("a=0D=0Ab"))
    let long = QuotedPrintable.encode(bytes(String(repeating: "x", count: 200)))
    let lines = long.split(separator: ASCII.lf).map { $0.filter { $0 != ASCII.cr } }
    #expect(lines.allSatisfy { $0.count <= 76 })
    #expect(lines.dropLast().allSatisfy { $0.last == ASCII.equals })
}

@Test func quotedPrintableDecodeIsTolerant() {
    #expect(
        QuotedPrintable.decode(bytes("Voil=E0, tr=e8s=\r\n bien.")) == [0x56, 0x6F, 0x69, 0x6C, 0xE0] + bytes(", tr")
            + [0xE8] + bytes("s bien.")
    )
    #expect(QuotedPrintable.decode(bytes("a=  \r\nb")) == bytes("ab"))
    #expect(QuotedPrintable.decode(bytes("1=2 =ZZ =")) == bytes("1=2 =ZZ "))
    #expect(QuotedPrintable.decode(bytes("trailing   \r\nx")) == bytes("trailing\r\nx"))
    #expect(QuotedPrintable.decode(bytes("lf\nonly")) == bytes("lf\nonly"))
}

@Test func quotedPrintableRoundTripsRandomInputsInAnyChunking() {
    var generator = SeededGenerator(seed: 2)
    let alphabet = bytes("ab =\t\r\n.") + [0xC3, 0xA9, 0x00]
    for round in 0..<300 {
        let count = Int.random(in: 0...300, using: &generator)
        var input = (0..<count).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
        // Text mode turns bare LF and lone CR into CRLF; binary mode must keep everything.
        let binary = round % 2 == 0
        if !binary { input = normalizedLineBreaks(input) }
        var encoder = QuotedPrintableEncoder(binary: binary)
        var encoded: [UInt8] = []
        for chunk in stride(from: 0, to: input.count, by: 7) {
            encoded += encoder.encode(input[chunk..<min(chunk + 7, input.count)])
        }
        encoded += encoder.finish()
        let lines = encoded.split(separator: ASCII.lf, omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.filter { $0 != ASCII.cr }.count <= 76 })
        var decoder = QuotedPrintableDecoder()
        var decoded: [UInt8] = []
        for chunk in stride(from: 0, to: encoded.count, by: 3) {
            decoded += decoder.decode(encoded[chunk..<min(chunk + 3, encoded.count)])
        }
        decoded += decoder.finish()
        #expect(decoded == input, "round \(round)")
    }
}

/// Lone CR and LF become CRLF, as a text line break.
private func normalizedLineBreaks(_ input: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    var index = 0
    while index < input.count {
        let byte = input[index]
        if byte == ASCII.cr || byte == ASCII.lf {
            output += [ASCII.cr, ASCII.lf]
            if byte == ASCII.cr, index + 1 < input.count, input[index + 1] == ASCII.lf { index += 1 }
        } else {
            output.append(byte)
        }
        index += 1
    }
    return output
}
