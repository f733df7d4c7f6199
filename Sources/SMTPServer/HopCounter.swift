/// Counts the `Received:` fields in the header section of a message as its octets go by, for RFC 5321
/// §6.3's loop detection: a message that has passed more than `SMTPServerDefaults.maximumHops` hosts is
/// in a routing loop (two MXes pointing at each other, a forwarding cycle) and is refused, where it
/// would otherwise circle until every queue gives up.
///
/// Works on any split of the octets (DATA lines or BDAT chunks); stops looking at the end of the header.
struct HopCounter: Hashable, Sendable {
    private(set) var count = 0
    private var inHeader = true
    /// How much of "received:" the current line has matched from its start; nil when it cannot match.
    private var matched: Int? = 0
    private var lineLength = 0

    private static let field = Array("received:".utf8)

    mutating func consume(_ bytes: some Sequence<UInt8>) {
        guard inHeader else { return }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                if lineLength == 0 {
                    // The empty line: the header section is over (RFC 5322 §2.1).
                    inHeader = false
                    return
                }
                lineLength = 0
                matched = 0
            case UInt8(ascii: "\r"):
                continue
            default:
                lineLength += 1
                guard let position = matched else { continue }
                let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                if lower == Self.field[position] {
                    matched = position + 1
                    if position + 1 == Self.field.count {
                        count += 1
                        matched = nil
                    }
                } else {
                    matched = nil
                }
            }
        }
    }
}
