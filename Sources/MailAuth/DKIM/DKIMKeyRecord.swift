import Crypto
import _CryptoExtras

/// A DKIM public key record (RFC 6376 §3.6.1), as published in TXT at `selector._domainkey.domain`.
public struct DKIMKeyRecord: Sendable {
    /// The public key, by algorithm.
    public enum PublicKey: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    /// The key (`k=` and `p=`).
    public var key: PublicKey
    /// The hash algorithms allowed (`h=`); nil: any.
    public var hashAlgorithms: [String]?
    /// `t=y`: the domain is testing DKIM (verifiers must not treat failures differently, §3.6.1).
    public var testing: Bool
    /// `t=s`: i= must be exactly d=, no subdomain.
    public var strictIdentity: Bool

    /// Why a key record cannot be used (`permerror`, §6.1.2), or a revoked key (empty `p=`).
    public enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        case syntax(String)
        case revoked
        case unsupportedKeyType(String)
        case badKey(String)

        /// The reason in words, for the log and the Authentication-Results comment.
        public var description: String {
            switch self {
            case .syntax(let detail): "key record syntax error: \(detail)"
            case .revoked: "key revoked"
            case .unsupportedKeyType(let k): "unsupported key type \(k)"
            case .badKey(let detail): "unusable key: \(detail)"
            }
        }
    }

    /// Parses a key record's text (the TXT strings joined).
    public init(parsing text: some Collection<UInt8>) throws(Error) {
        let tags: TagList
        do { tags = try TagList(parsing: text) } catch { throw .syntax("\(error)") }
        if let version = tags["v"], version != "DKIM1" { throw .syntax("v=\(version)") }
        if tags["v"] != nil, tags.tags.first?.name != "v" { throw .syntax("v= is not the first tag") }
        let keyType = (tags["k"] ?? "rsa").lowercased()
        guard let data = tags["p"]?.withoutFWS else { throw .syntax("no p=") }
        guard !data.isEmpty else { throw .revoked }
        guard let der = Base64Strict.decode(data) else { throw .badKey("p= is not base64") }
        switch keyType {
        case "rsa":
            // RFC 8301 §3.2: verifiers must accept 1024-bit keys (which _CryptoExtras calls unsafe) and
            // must not accept shorter ones.
            guard let key = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: der) else {
                throw .badKey("not an RSA key")
            }
            guard key.keySizeInBits >= 1024 else { throw .badKey("RSA key shorter than 1024 bits") }
            self.key = .rsa(key)
        case "ed25519":
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der) else {
                throw .badKey("not an Ed25519 key")
            }
            self.key = .ed25519(key)
        default:
            throw .unsupportedKeyType(keyType)
        }
        hashAlgorithms = tags["h"].map { $0.split(separator: ":").map { String($0).withoutFWS.lowercased() } }
        if let services = tags["s"] {
            let list = services.split(separator: ":").map { String($0).withoutFWS }
            guard list.contains("*") || list.contains("email") else { throw .syntax("s= excludes email") }
        }
        let flags = (tags["t"] ?? "").split(separator: ":").map { String($0).withoutFWS }
        testing = flags.contains("y")
        strictIdentity = flags.contains("s")
    }

    /// Whether the key is of `algorithm`'s type.
    func fits(_ algorithm: DKIMAlgorithm) -> Bool {
        switch (key, algorithm) {
        case (.rsa, .rsaSHA256), (.ed25519, .ed25519SHA256): true
        default: false
        }
    }
}
