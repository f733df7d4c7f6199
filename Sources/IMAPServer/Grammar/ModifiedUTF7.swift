/// Mailbox names in modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for itself except "&",
/// which starts a run of modified BASE64 (with "," for "/") of UTF-16, ended by "-"; "&-" is "&".
public enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    /// Decodes a name from the wire.
    ///
    /// Names that are not valid modified UTF-7 (for example raw UTF-8 from clients following RFC 9051) are taken as
    /// UTF-8.
    public static func decode(_ bytes: [UInt8]) -> String {
        decodeStrict(bytes) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes strictly, returning nil when the input is not valid modified UTF-7.
    public static func decodeStrict(_ bytes: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let c = bytes[index]
            guard c >= 0x20, c <= 0x7E else { return nil }
            if c != UInt8(ascii: "&") {
                scalars.append(Unicode.Scalar(c))
                index += 1
                continue
            }
            guard let end = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            if end == index + 1 {
                scalars.append("&")
                index = end + 1
                continue
            }
            var bits: UInt32 = 0
            var bitCount = 0
            var units: [UInt16] = []
            for b in bytes[(index + 1)..<end] {
                guard let value = alphabet.firstIndex(of: b) else { return nil }
                bits = (bits << 6) | UInt32(value)
                bitCount += 6
                if bitCount >= 16 {
                    bitCount -= 16
                    units.append(UInt16(truncatingIfNeeded: bits >> UInt32(bitCount)))
                    bits &= (1 << UInt32(bitCount)) - 1
                }
            }
            // Leftover bits must be zero padding, and a run must not encode plain ASCII.
            guard bitCount < 6, bits == 0, !units.isEmpty else { return nil }
            var decoded = ""
            var iterator = units.makeIterator()
            var codec = UTF16()
            loop: while true {
                switch codec.decode(&iterator) {
                case .scalarValue(let scalar):
                    if scalar.value >= 0x20 && scalar.value <= 0x7E { return nil }
                    decoded.unicodeScalars.append(scalar)
                case .emptyInput: break loop
                case .error: return nil
                }
            }
            scalars.append(contentsOf: decoded.unicodeScalars)
            index = end + 1
        }
        return String(scalars)
    }

    /// Encodes a name for the wire.
    public static func encode(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            out.append(UInt8(ascii: "&"))
            var bits: UInt32 = 0
            var bitCount = 0
            for unit in pending {
                bits = (bits << 16) | UInt32(unit)
                bitCount += 16
                while bitCount >= 6 {
                    bitCount -= 6
                    out.append(alphabet[Int((bits >> UInt32(bitCount)) & 0x3F)])
                }
                bits &= (1 << UInt32(bitCount)) - 1
            }
            if bitCount > 0 { out.append(alphabet[Int((bits << UInt32(6 - bitCount)) & 0x3F)]) }
            out.append(UInt8(ascii: "-"))
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out.append(UInt8(scalar.value))
                if scalar == "&" { out.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: String(scalar).utf16)
            }
        }
        flush()
        return out
    }
}
