import Foundation

#if canImport(CoreFoundation)
import CoreFoundation
#endif

/// Converts bytes in a named MIME charset (RFC 2978 / IANA names) to text.
public enum Charset {
    /// Decodes `bytes` in `charset`, a case-insensitive IANA name or alias.
    ///
    /// Names such as `utf-8`, `ISO-8859-1`, `windows-1252`, `koi8-r` work; the rest go through
    /// CoreFoundation's IANA table. Returns nil when the charset is unknown or the bytes are not valid in it.
    public static func decode(_ bytes: some Collection<UInt8>, charset: String) -> String? {
        let name = canonicalName(charset)
        switch name {
        case "utf-8", "utf8":
            return validUTF8(bytes)
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us":
            // Many mailers label 8-bit text us-ascii; UTF-8, then Latin-1, is the useful reading.
            return validUTF8(bytes) ?? latin1(bytes)
        case "iso-8859-1", "latin1", "iso8859-1", "iso_8859-1", "l1":
            return latin1(bytes)
        default:
            guard let encoding = encoding(named: name) else { return nil }
            return String(data: Data(bytes), encoding: encoding)
        }
    }

    /// The name trimmed of spaces and lowercased, as the tables below spell it.
    ///
    /// Charset names are ASCII (RFC 2978), and every encoded word passes through here: the byte loop
    /// stands in for Foundation's `trimmingCharacters`, which cost a tenth of a SEARCH SUBJECT over
    /// encoded words. Anything else takes Foundation's path.
    static func canonicalName(_ charset: String) -> String {
        var bytes = Array(charset.utf8)[...]
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return charset.trimmingCharacters(in: .whitespaces).lowercased() }
        while let first = bytes.first, ASCII.isWhitespace(first) { bytes.removeFirst() }
        while let last = bytes.last, ASCII.isWhitespace(last) { bytes.removeLast() }
        return String(decoding: bytes.lazy.map(ASCII.lowercased), as: UTF8.self)
    }

    /// Decodes header or parameter bytes whose charset is not declared: UTF-8 when valid
    /// (RFC 6532), otherwise ISO-8859-1 so that no byte is lost.
    public static func decodeUndeclared(_ bytes: some Collection<UInt8>) -> String {
        validUTF8(bytes) ?? latin1(bytes)
    }

    /// True when `charset` is one `decode` understands.
    public static func isSupported(_ charset: String) -> Bool {
        decode([UInt8](), charset: charset) != nil
    }

    /// The bytes as text when they are valid UTF-8 (no overlong forms or surrogates), else nil.
    /// (`String(validating:as:)` would do, but needs macOS 15.)
    static func validUTF8(_ bytes: some Collection<UInt8>) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: return nil
            }
        }
    }

    static func latin1(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    static func encoding(named name: String) -> String.Encoding? {
        switch name {
        case "iso-8859-2", "latin2": return .isoLatin2
        case "windows-1250", "cp1250": return .windowsCP1250
        case "windows-1251", "cp1251": return .windowsCP1251
        case "windows-1252", "cp1252": return .windowsCP1252
        case "windows-1253", "cp1253": return .windowsCP1253
        case "windows-1254", "cp1254": return .windowsCP1254
        case "utf-16": return .utf16
        case "utf-16be": return .utf16BigEndian
        case "utf-16le": return .utf16LittleEndian
        case "iso-2022-jp": return .iso2022JP
        case "shift_jis", "shift-jis", "sjis": return .shiftJIS
        case "euc-jp": return .japaneseEUC
        default: return coreFoundationEncoding(named: name)
        }
    }

    private static func coreFoundationEncoding(named name: String) -> String.Encoding? {
        #if canImport(CoreFoundation)
        #if canImport(Darwin)
        let cfName = name as CFString
        #else
        let cfName = unsafeBitCast(NSString(string: name), to: CFString.self)
        #endif
        let cfEncoding = CFStringConvertIANACharSetNameToEncoding(cfName)
        guard cfEncoding != kCFStringEncodingInvalidId else { return nil }
        return String.Encoding(rawValue: CFStringConvertEncodingToNSStringEncoding(cfEncoding))
        #else
        return nil
        #endif
    }
}
