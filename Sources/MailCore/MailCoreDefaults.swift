/// Every limit MailCore applies, in one place.
///
/// The parsers never fail on big or odd input; these limits decide where they stop descending
/// or what they produce, so that hostile messages cost bounded stack and time.
public enum MailCoreDefaults {
    /// How many multipart / message levels the MIME parser descends before treating a part as an
    /// opaque leaf.
    ///
    /// Part at depth `maxMIMEDepth` (the root is depth 0) is still parsed; its children are not.
    public static let maxMIMEDepth = 100

    /// Most body parts one multipart yields; parts after that are not parsed (they stay in the parent body).
    public static let maxMultipartChildren = 10_000

    /// RFC 5322 2.1.1: a line must be at most 998 octets, excluding CRLF.
    ///
    /// The builder never exceeds it.
    public static let maxLineLength = 998

    /// RFC 2045 6.8: base64 output lines are at most 76 characters.
    public static let base64LineLength = 76

    /// RFC 2045 6.7 (5): quoted-printable lines are at most 76 characters, including a trailing `=`.
    public static let quotedPrintableLineLength = 76

    /// RFC 2047 2: an encoded word is at most 75 characters.
    public static let maxEncodedWordLength = 75

    /// Longest encoded word the decoder accepts.
    ///
    /// RFC 2047 2 allows 75 characters, but real mailers write longer ones; the bound keeps decoding
    /// linear on hostile input such as `=?a?q?x=?a?q?x…`.
    public static let maxEncodedWordDecodeLength = 2_048

    /// Folding target for headers the builder writes (RFC 5322 2.1.1 "SHOULD be no more than 78").
    public static let preferredHeaderLineLength = 78

    /// Most addresses one address-list parse returns; the rest of the field is ignored.
    public static let maxAddressesPerField = 10_000

    /// Most RFC 2231 continuation sections accepted for one parameter (`name*0` … `name*N`).
    public static let maxParameterContinuations = 1_000
}

extension MailCoreDefaults {
    /// RFC 5321 4.5.3.1.1: a local part is at most 64 octets.
    public static let maxLocalPartLength = 64
    /// RFC 5321 4.5.3.1.2: a domain is at most 255 octets.
    public static let maxDomainLength = 255
    /// RFC 5321 4.5.3.1.3 path limit (256 with the angle brackets) leaves 254 for the address.
    public static let maxAddressLength = 254
}
