/// The result of an SPF check (RFC 7208 §2.6).
public enum SPFResult: String, Sendable, Hashable {
    /// No record, or no usable domain to check.
    case none
    /// The record says nothing about the address (`?`).
    case neutral
    /// The address is authorised.
    case pass
    /// The address is not authorised (`-`).
    case fail
    /// Probably not authorised (`~`).
    case softfail
    /// A DNS failure for now; the check could succeed later.
    case temperror
    /// The record is broken, or the check went over its limits.
    case permerror
}

/// An SPF verdict with the identity and domain it was about.
public struct SPFVerdict: Sendable, Hashable {
    /// The result of check_host() (§2.6).
    public var result: SPFResult
    /// The identity checked: the MAIL FROM address, or postmaster@HELO for the null sender (§2.4).
    public var identity: String
    /// The domain checked.
    public var domain: String
    /// Whether the MAIL FROM was empty and HELO was checked instead.
    public var checkedHELO: Bool
    /// Why, for logs and a comment.
    public var reason: String?

    /// Makes a verdict; `reason` goes into the log and the Authentication-Results comment.
    public init(result: SPFResult, identity: String, domain: String, checkedHELO: Bool, reason: String? = nil) {
        self.result = result
        self.identity = identity
        self.domain = domain
        self.checkedHELO = checkedHELO
        self.reason = reason
    }
}
