/// The limits of sender authentication, in one place.
public enum MailAuthDefaults {
    /// DKIM signatures checked per message (RFC 6376 §6.1 lets verifiers limit them; each may cost a
    /// DNS look-up).
    public static let maxDKIMSignatures = 8
    /// SPF: terms that cause DNS queries per check, includes and redirects counted (RFC 7208 §4.6.4).
    public static let spfDNSTermLimit = 10
    /// SPF: look-ups answering NXDOMAIN or no records (RFC 7208 §4.6.4's "void lookups").
    public static let spfVoidLookupLimit = 2
    /// SPF: MX names and PTR names looked at per mechanism (RFC 7208 §4.6.4).
    public static let spfNameLimit = 10
}
