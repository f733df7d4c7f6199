/// The outcome of checking one DKIM signature, in RFC 8601 §2.7.1's words.
public struct DKIMResult: Sendable, Hashable {
    /// The result keyword.
    public enum Status: String, Sendable, Hashable {
        /// The signature verified.
        case pass
        /// The signature or the body hash did not match.
        case fail
        /// The signature was fine but not acceptable: here, an `l=` that leaves part of the body unsigned.
        case policy
        /// The key could not be fetched for now.
        case temperror
        /// The signature or its key record is unusable.
        case permerror
        /// The message had no signature (only in a summary, never for one signature).
        case none
    }

    /// The result keyword for this signature.
    public var status: Status
    /// The signing domain (`d=`), when the field parsed.
    public var domain: String?
    /// The selector (`s=`), when the field parsed.
    public var selector: String?
    /// The agent or user identifier (`i=`), when the field parsed.
    public var identity: String?
    /// The signing algorithm (`a=`), when the field parsed and named one correo knows.
    public var algorithm: DKIMAlgorithm?
    /// The first characters of `b=` (RFC 6008's `header.b`), telling several signatures apart.
    public var signaturePrefix: String?
    /// Why it did not pass, for the log and a comment in Authentication-Results.
    public var reason: String?

    /// Makes a result; everything but the status is optional, since a broken field may name nothing.
    public init(
        status: Status,
        domain: String? = nil,
        selector: String? = nil,
        identity: String? = nil,
        algorithm: DKIMAlgorithm? = nil,
        signaturePrefix: String? = nil,
        reason: String? = nil
    ) {
        self.status = status
        self.domain = domain
        self.selector = selector
        self.identity = identity
        self.algorithm = algorithm
        self.signaturePrefix = signaturePrefix
        self.reason = reason
    }
}
