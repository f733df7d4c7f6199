/// The result types of RFC 8460 §4.3: why a TLS session (or getting the policy for it) failed.
public enum TLSRPTResultType: String, Sendable, Hashable, Codable, CaseIterable {
    // §4.3.1 negotiation failures
    case starttlsNotSupported = "starttls-not-supported"
    case certificateHostMismatch = "certificate-host-mismatch"
    case certificateExpired = "certificate-expired"
    case certificateNotTrusted = "certificate-not-trusted"
    case validationFailure = "validation-failure"
    // §4.3.2 policy failures (DANE's are never produced here: correo does not do DANE yet)
    case tlsaInvalid = "tlsa-invalid"
    case dnssecInvalid = "dnssec-invalid"
    case daneRequired = "dane-required"
    case stsPolicyFetchError = "sts-policy-fetch-error"
    case stsPolicyInvalid = "sts-policy-invalid"
    case stsWebPKIInvalid = "sts-webpki-invalid"
}
