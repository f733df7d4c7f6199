import MailCore

/// Strict base64 for DKIM tags (b=, bh=, p=).
///
/// Whitespace is already removed, and nothing else outside the alphabet is allowed. MailCore's decoder skips junk,
/// which suits MIME bodies but would let a garbled key or signature through as some other value.
enum Base64Strict {
    static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        let body = bytes.reversed().drop { $0 == UInt8(ascii: "=") }
        guard bytes.count - body.count <= 2 else { return nil }
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        guard body.allSatisfy(alphabet.contains), body.count % 4 != 1 else { return nil }
        return Base64.decode(bytes)
    }

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: Base64.encode(bytes, lineLength: 0), as: UTF8.self)
    }
}
