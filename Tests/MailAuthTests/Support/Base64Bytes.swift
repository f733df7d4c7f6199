import MailCore

/// Base64 for the tests' fixtures (MailCore's codec, one unbroken line).
enum Base64Bytes {
    static func decode(_ text: String) -> [UInt8] { Base64.decode(Array(text.utf8)) }
    static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: Base64.encode(bytes, lineLength: 0), as: UTF8.self)
    }
}
