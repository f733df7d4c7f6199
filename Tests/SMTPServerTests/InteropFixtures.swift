/// Messages the interop tests send, as exact bytes.
enum Fixture {
    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    static let plain = text(
        "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: plain\r\nMessage-ID: <plain@example.test>\r\n\r\n"
            + "Hello Bob.\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n"
    )

    /// Every octet from 0x80 to 0xFF, in lines (RFC 6152 8BITMIME).
    static let eightBit: [UInt8] = {
        var bytes = text(
            "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: 8-bit\r\n"
                + "Content-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        )
        for row in 0..<8 {
            bytes += (0..<16).map { UInt8(0x80 + row * 16 + $0) } + [13, 10]
        }
        return bytes
    }()

    static let utf8 = text(
        "From: José <josé@example.test>\r\nTo: josé@example.test\r\nSubject: ¡Hola, José!\r\n\r\nÑandú 🐦 ✉️\r\n"
    )

    /// About 20 MB of 78-octet lines, each different.
    static let large: [UInt8] = {
        var bytes = text("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: large\r\n\r\n")
        bytes.reserveCapacity(20_100_000)
        var line = 0
        while bytes.count < 20_000_000 {
            let prefix = Array("\(line) ".utf8)
            bytes +=
                prefix + [UInt8](repeating: UInt8(ascii: "a") + UInt8(line % 26), count: 76 - prefix.count) + [13, 10]
            line += 1
        }
        return bytes
    }()

    /// Binary octets (NUL, bare CR and LF, dots at line starts) for BDAT with BODY=BINARYMIME.
    static let binary: [UInt8] = {
        var bytes = text(
            "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: binary\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        )
        var state: UInt32 = 12345
        for _ in 0..<300_000 {
            state = state &* 1_103_515_245 &+ 12345
            bytes.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        bytes += text("\r\n.\r\n\n.\n\r.\r")
        return bytes
    }()
}
