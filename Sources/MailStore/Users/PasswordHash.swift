import CCrypt
import Crypto
import Foundation
import _CryptoExtras

/// Password schemes of passwords.txt, named as Dovecot names them (`{SCHEME}hash`).
public enum PasswordScheme: String, CaseIterable, Sendable {
    /// `$6$` glibc/libxcrypt SHA-512 crypt; correo's default, with `MailStoreDefaults.sha512CryptRounds`.
    case sha512Crypt = "SHA512-CRYPT"
    /// `$5$` SHA-256 crypt.
    case sha256Crypt = "SHA256-CRYPT"
    /// `$2y$`/`$2b$` bcrypt.
    case blfCrypt = "BLF-CRYPT"
    /// `$y$` yescrypt (libxcrypt); Dovecot verifies it through `{CRYPT}`.
    case yescrypt = "YESCRYPT"
    /// Whatever crypt(3) understands, by the hash's own prefix.
    case crypt = "CRYPT"
    /// Dovecot's PBKDF2: `$1$<salt>$<rounds>$<hex of PBKDF2-HMAC-SHA1, 20 bytes>`.
    case pbkdf2 = "PBKDF2"
    /// The password itself (the original correo's format, and Dovecot's `{PLAIN}`).
    case plain = "PLAIN"

    /// Parses a scheme name (case-insensitive; `CLEARTEXT` and `CLEAR` mean PLAIN, as in Dovecot).
    public init?(name: String) {
        switch name.uppercased() {
        case "CLEARTEXT", "CLEAR": self = .plain
        case "BLF-CRYPT", "BCRYPT": self = .blfCrypt
        default:
            guard let scheme = PasswordScheme(rawValue: name.uppercased()) else { return nil }
            self = scheme
        }
    }

    /// The crypt(3) setting prefix and cost for new hashes of this scheme, nil for non-crypt schemes.
    var cryptPrefix: (prefix: String, cost: UInt)? {
        switch self {
        case .sha512Crypt, .crypt: return ("$6$", UInt(MailStoreDefaults.sha512CryptRounds))
        case .sha256Crypt: return ("$5$", UInt(MailStoreDefaults.sha512CryptRounds))
        case .blfCrypt: return ("$2b$", 12)
        case .yescrypt: return ("$y$", 0)
        case .pbkdf2, .plain: return nil
        }
    }
}

/// Making and checking password hashes.
///
/// Slow on purpose: call from a blocking-I/O thread.
public enum PasswordHash {
    /// A new `{SCHEME}hash` for `password` with a fresh random salt.
    public static func make(_ password: String, scheme: PasswordScheme = .sha512Crypt) throws -> String {
        try checkAcceptable(password)
        if let (prefix, cost) = scheme.cryptPrefix {
            var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
            guard crypt_gensalt_rn(prefix, cost, nil, 0, &salt, Int32(salt.count)) != nil else {
                throw MailStoreError.invalidPassword("the system's crypt library cannot make \(scheme.rawValue) hashes")
            }
            let setting = String(decoding: salt.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let hash = crypt(password, setting: setting) else {
                throw MailStoreError.invalidPassword("the system's crypt library failed")
            }
            return "{\(scheme.rawValue)}" + hash
        }
        switch scheme {
        case .plain:
            // passwd-file fields end at ':', so a plain password cannot hold one.
            guard !password.contains(":") else {
                throw MailStoreError.invalidPassword("a PLAIN password cannot contain ':'")
            }
            return "{PLAIN}" + password
        default:
            var generator = SystemRandomNumberGenerator()
            let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./")
            let salt = String((0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
            let rounds = MailStoreDefaults.pbkdf2Rounds
            let digest = try pbkdf2(password, salt: salt, rounds: rounds)
            return "{PBKDF2}$1$\(salt)$\(rounds)$\(digest)"
        }
    }

    /// RFC 4616 and common sense: no NUL, CR or LF, bounded length.
    static func checkAcceptable(_ password: String) throws {
        guard !password.isEmpty else { throw MailStoreError.invalidPassword("it is empty") }
        guard password.utf8.count <= MailStoreDefaults.maximumPasswordBytes else {
            throw MailStoreError.invalidPassword("longer than \(MailStoreDefaults.maximumPasswordBytes) bytes")
        }
        guard !password.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
            throw MailStoreError.invalidPassword("it contains NUL or line-break characters")
        }
    }

    /// Whether `password` matches `stored` (`{SCHEME}hash`, or a bare plain password).
    public static func verify(_ password: String, against stored: String) -> Bool {
        let (scheme, value) = split(stored)
        guard let scheme else { return false }
        switch scheme {
        case .plain:
            return constantTimeEqual(Array(password.utf8), Array(value.utf8))
        case .pbkdf2:
            let parts = value.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[1] == "1", let rounds = Int(parts[3]), rounds > 0, rounds <= 10_000_000,
                let digest = try? pbkdf2(password, salt: String(parts[2]), rounds: rounds)
            else { return false }
            return constantTimeEqual(Array(digest.utf8), Array(parts[4].lowercased().utf8))
        default:
            guard !value.isEmpty, let hash = crypt(password, setting: value) else { return false }
            return constantTimeEqual(Array(hash.utf8), Array(value.utf8))
        }
    }

    /// Splits a stored `{SCHEME}value` into its scheme and value.
    ///
    /// Splits `{SCHEME}value`; without braces the value is a plain password (the original format).
    /// An unknown scheme gives nil.
    static func split(_ stored: String) -> (PasswordScheme?, String) {
        guard stored.hasPrefix("{"), let close = stored.firstIndex(of: "}") else { return (.plain, stored) }
        let name = String(stored[stored.index(after: stored.startIndex)..<close])
        return (PasswordScheme(name: name), String(stored[stored.index(after: close)...]))
    }

    /// crypt_r(3) with a private buffer (thread-safe); nil when the library refuses the setting.
    static func crypt(_ password: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, setting, data) else { return nil }
        let hash = String(cString: result)
        // libxcrypt signals failure with a string starting with '*'.
        return hash.hasPrefix("*") ? nil : hash
    }

    private static func pbkdf2(_ password: String, salt: String, rounds: Int) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8),
            salt: Array(salt.utf8),
            using: .insecureSHA1,
            outputByteCount: 20,
            unsafeUncheckedRounds: rounds
        )
        return key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// Compares without stopping at the first difference, so timing does not reveal the prefix.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= left ^ right
        }
        return difference == 0 && a.count == b.count
    }
}
