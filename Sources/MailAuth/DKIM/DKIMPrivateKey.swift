import Crypto
import Foundation
import _CryptoExtras

/// A private key correo signs with, kept as PEM in STORAGE/dkim/DOMAIN/SELECTOR.pem: RSA as PKCS#8
/// (PKCS#1 "RSA PRIVATE KEY" from opendkim-genkey is read too), Ed25519 as PKCS#8 (RFC 8410), the
/// form `openssl genpkey -algorithm ed25519` writes and dkimpy reads.
public enum DKIMPrivateKey: Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)

    /// The algorithm the key signs with.
    public var algorithm: DKIMAlgorithm {
        switch self {
        case .rsa: .rsaSHA256
        case .ed25519: .ed25519SHA256
        }
    }

    /// A new key: RSA of 2048 bits (RFC 8301 §3.2 asks at least 2048 of signers) or Ed25519.
    public static func generate(_ algorithm: DKIMAlgorithm) throws -> DKIMPrivateKey {
        switch algorithm {
        case .rsaSHA256: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .ed25519SHA256: .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    /// RFC 8410 §7's PKCS#8 DER of an Ed25519 key is this fixed prefix and the 32-octet seed.
    private static let ed25519PKCS8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    /// Reads a PEM key; nil when it is neither an RSA nor an Ed25519 private key.
    public init?(pem: String) {
        if let der = Self.pemBody(pem, label: "PRIVATE KEY"), der.count == 48,
            Array(der.prefix(16)) == Self.ed25519PKCS8Prefix,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        {
            self = .ed25519(key)
        } else if let key = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem) {
            self = .rsa(key)
        } else {
            return nil
        }
    }

    /// The key as PEM, for the key file.
    public var pem: String {
        switch self {
        case .rsa(let key): return key.pkcs8PEMRepresentation
        case .ed25519(let key):
            let der = Self.ed25519PKCS8Prefix + Array(key.rawRepresentation)
            let lines = Base64Strict.encode(der)
            return "-----BEGIN PRIVATE KEY-----\n\(lines)\n-----END PRIVATE KEY-----\n"
        }
    }

    /// The `p=` value of the key record: SubjectPublicKeyInfo DER for RSA (§3.6.1), the raw 32-octet
    /// public key for Ed25519 (RFC 8463 §4.2), in base64.
    public var publicKeyBase64: String {
        switch self {
        case .rsa(let key): Base64Strict.encode(Array(key.publicKey.derRepresentation))
        case .ed25519(let key): Base64Strict.encode(Array(key.publicKey.rawRepresentation))
        }
    }

    /// The TXT record to publish at `selector._domainkey.DOMAIN`.
    public var keyRecord: String { "v=DKIM1; k=\(algorithm.keyType); p=\(publicKeyBase64)" }

    /// Signs the SHA-256 `digest` of the canonicalised header data.
    func sign(digest: SHA256.Digest) throws -> [UInt8] {
        switch self {
        case .rsa(let key): Array(try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case .ed25519(let key): Array(try key.signature(for: Array(digest)))
        }
    }

    private static func pemBody(_ pem: String, label: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
            let end = lines.firstIndex(of: "-----END \(label)-----"), begin < end
        else { return nil }
        return Base64Strict.decode(lines[(begin + 1)..<end].joined())
    }
}
