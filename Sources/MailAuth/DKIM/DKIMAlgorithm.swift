/// A DKIM signing algorithm correo signs and verifies with.
///
/// rsa-sha1 is not one: RFC 8301 §3.1 forbids it for signing and verifying.
public enum DKIMAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 §3.3.2), keys of 1024 to 4096 bits (RFC 8301 §3.2).
    case rsaSHA256 = "rsa-sha256"
    /// Ed25519 over the SHA-256 hash of the signed data (RFC 8463 §3).
    case ed25519SHA256 = "ed25519-sha256"

    /// The key type of the key record's `k=` tag.
    public var keyType: String {
        switch self {
        case .rsaSHA256: "rsa"
        case .ed25519SHA256: "ed25519"
        }
    }
}
