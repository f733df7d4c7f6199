/// A parsed DKIM-Signature field (RFC 6376 §3.5), checked for what §6.1.1 requires before any key is
/// fetched.
public struct DKIMSignature: Sendable, Hashable {
    /// The algorithm (`a=`).
    public var algorithm: DKIMAlgorithm
    /// The signature (`b=`), decoded.
    public var signature: [UInt8]
    /// The body hash (`bh=`), decoded.
    public var bodyHash: [UInt8]
    /// Header canonicalisation (the first half of `c=`).
    public var headerCanonicalization: DKIMCanonicalization
    /// Body canonicalisation (the second half of `c=`; `simple` when it is missing).
    public var bodyCanonicalization: DKIMCanonicalization
    /// The signing domain (`d=`), lower-cased.
    public var domain: String
    /// The signed header fields (`h=`), in order, as written.
    public var signedHeaders: [String]
    /// The agent or user identifier (`i=`), default "@" + domain.
    public var identity: String
    /// The body length count (`l=`), when present.
    public var bodyLength: Int?
    /// The selector (`s=`).
    public var selector: String
    /// The signature timestamp (`t=`), seconds since 1970.
    public var timestamp: Int?
    /// The signature expiration (`x=`), seconds since 1970; past it the signature is `permerror`.
    public var expiration: Int?
    /// The raw `b=` value, for the Authentication-Results `header.b` (RFC 6008).
    public var signatureText: String

    /// Why a DKIM-Signature field is unusable: the verifier's `permerror` (RFC 6376 §6.1.1).
    public enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        case syntax(String)
        case missingTag(String)
        case unsupportedVersion(String)
        case unsupportedAlgorithm(String)
        case unsupportedCanonicalization(String)
        case fromNotSigned
        case identityNotInDomain
        case badQueryMethod(String)
        case expired

        /// The reason in words, for the log and the Authentication-Results comment.
        public var description: String {
            switch self {
            case .syntax(let detail): "signature syntax error: \(detail)"
            case .missingTag(let tag): "signature missing required tag \(tag)="
            case .unsupportedVersion(let version): "unsupported signature version \(version)"
            case .unsupportedAlgorithm(let algorithm): "unsupported algorithm \(algorithm)"
            case .unsupportedCanonicalization(let c): "unsupported canonicalization \(c)"
            case .fromNotSigned: "From field not signed"
            case .identityNotInDomain: "i= not in the d= domain"
            case .badQueryMethod(let q): "unsupported query method \(q)"
            case .expired: "signature expired"
            }
        }
    }

    /// Parses the value of a DKIM-Signature field.
    ///
    /// `now` (seconds since 1970) checks `x=`.
    public init(parsing value: some Collection<UInt8>, now: Int) throws(Error) {
        let tags: TagList
        do { tags = try TagList(parsing: value) } catch { throw .syntax("\(error)") }
        func required(_ name: String) throws(Error) -> String {
            guard let value = tags[name] else { throw .missingTag(name) }
            return value
        }
        guard try required("v") == "1" else { throw .unsupportedVersion(tags["v"] ?? "") }
        let algorithmName = try required("a").lowercased()
        guard let algorithm = DKIMAlgorithm(rawValue: algorithmName) else { throw .unsupportedAlgorithm(algorithmName) }
        self.algorithm = algorithm
        signatureText = try required("b").withoutFWS
        signature = Base64Strict.decode(signatureText) ?? []
        guard !signature.isEmpty else { throw .syntax("b= is not base64") }
        guard let bodyHash = Base64Strict.decode(try required("bh").withoutFWS), !bodyHash.isEmpty else {
            throw .syntax("bh= is not base64")
        }
        self.bodyHash = bodyHash
        guard let pair = DKIMCanonicalization.pair(tags["c"]) else {
            throw .unsupportedCanonicalization(tags["c"] ?? "")
        }
        (headerCanonicalization, bodyCanonicalization) = pair
        domain = try required("d").lowercased().trimmingDot()
        guard !domain.isEmpty else { throw .syntax("empty d=") }
        signedHeaders = try required("h").split(separator: ":").map { String($0).withoutFWS }.filter { !$0.isEmpty }
        guard signedHeaders.contains(where: { $0.lowercased() == "from" }) else { throw .fromNotSigned }
        identity = tags["i"] ?? "@\(domain)"
        // §3.5: the i= domain is d= or a subdomain of it.
        let identityDomain =
            identity.split(separator: "@", omittingEmptySubsequences: false).last.map {
                String($0).lowercased().trimmingDot()
            } ?? ""
        guard identity.contains("@"), identityDomain == domain || identityDomain.hasSuffix("." + domain) else {
            throw .identityNotInDomain
        }
        if let length = tags["l"] {
            guard length.count <= 76, let value = Int(length), value >= 0 else { throw .syntax("l= is not a number") }
            bodyLength = value
        }
        selector = try required("s").withoutFWS
        guard !selector.isEmpty else { throw .syntax("empty s=") }
        if let query = tags["q"],
            !query.split(separator: ":").contains(where: { String($0).withoutFWS.lowercased() == "dns/txt" })
        {
            throw .badQueryMethod(query)
        }
        if let value = tags["t"] {
            guard let t = Int(value) else { throw .syntax("t= is not a number") }
            timestamp = t
        }
        if let value = tags["x"] {
            guard let x = Int(value) else { throw .syntax("x= is not a number") }
            if let timestamp, x < timestamp { throw .syntax("x= before t=") }
            if x < now { throw .expired }
            expiration = x
        }
    }

    /// Where the key lives: `selector._domainkey.domain` (§3.6.2.1).
    public var keyName: String { "\(selector)._domainkey.\(domain)" }
}

extension String {
    /// The name without a trailing root dot.
    func trimmingDot() -> String { hasSuffix(".") ? String(dropLast()) : self }
}
