/// RFC 5322 3.2.3 character classes for atoms, and the addr-spec check.
public enum AddressSyntax {
    /// RFC 5322 3.2.3: atext = ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~", plus UTF-8 bytes (RFC 6532 3.2).
    public static func isAtext(_ byte: UInt8) -> Bool {
        if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte >= 0x80 { return true }
        switch byte {
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2F, 0x3D, 0x3F, 0x5E, 0x5F, 0x60, 0x7B,
            0x7C, 0x7D, 0x7E:
            return true
        default:
            return false
        }
    }
}
