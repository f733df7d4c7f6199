import DNS

/// Hand-built wire data for the codec tests: the bytes are written out, never produced by the encoder
/// under test.
enum WireBytes {
    /// `example.org` as labels.
    static let exampleOrg: [UInt8] = [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]

    /// A response header: ID 0x1234, QR RD RA, the given RCODE and TC bit, and the section counts.
    static func header(
        rcode: UInt8 = 0,
        truncated: Bool = false,
        questions: UInt16 = 1,
        answers: UInt16 = 0,
        authorities: UInt16 = 0,
        additionals: UInt16 = 0
    ) -> [UInt8] {
        let flags: UInt16 = 0x8180 | (truncated ? 0x0200 : 0) | UInt16(rcode)
        return [0x12, 0x34] + u16(flags) + u16(questions) + u16(answers) + u16(authorities) + u16(additionals)
    }

    /// A response to `example.org` `type` IN whose answer section is one record owned by the question's
    /// name (a pointer to offset 12), TTL 3600, with `rdata`.
    static func response(type: DNSType, rdata: [UInt8], rcode: UInt8 = 0) -> [UInt8] {
        header(rcode: rcode, answers: 1) + exampleOrg + u16(type.rawValue) + [0, 1]
            + [0xC0, 0x0C] + u16(type.rawValue) + [0, 1] + [0, 0, 0x0E, 0x10] + u16(UInt16(rdata.count)) + rdata
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value >> 16)) + u16(UInt16(value & 0xFFFF)) }
    static func label(_ text: String) -> [UInt8] { [UInt8(text.utf8.count)] + Array(text.utf8) }
}
