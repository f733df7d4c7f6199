/// The BODY= value of MAIL FROM.
public enum SMTPBodyType: String, Hashable, Sendable {
    /// RFC 6152: 7-bit text in lines.
    case sevenBit = "7BIT"
    /// RFC 6152: 8-bit text in lines.
    case eightBitMIME = "8BITMIME"
    /// RFC 3030: arbitrary octets, sent only with BDAT.
    case binaryMIME = "BINARYMIME"
}

/// RET= of MAIL FROM (RFC 3461 4.3): what a delivery status notification should return.
public enum SMTPDSNReturn: String, Hashable, Sendable {
    case full = "FULL"
    case headers = "HDRS"
}

/// NOTIFY= of RCPT TO (RFC 3461 4.1).
public enum SMTPDSNNotify: Hashable, Sendable {
    case never
    case on(success: Bool, failure: Bool, delay: Bool)
}

/// The parameters of MAIL FROM (RFC 5321 4.1.2 `Mail-parameters`) that correo knows.
public struct SMTPMailParameters: Hashable, Sendable {
    /// SIZE= (RFC 1870): the size the client declares.
    public var size: Int?
    /// BODY= (RFC 6152, RFC 3030).
    public var body: SMTPBodyType?
    /// SMTPUTF8 (RFC 6531 3.4).
    public var smtpUTF8: Bool
    /// AUTH= (RFC 4954 5): the original submitter, xtext-decoded; `<>` when unknown.
    public var auth: String?
    /// RET= (RFC 3461 4.3).
    public var ret: SMTPDSNReturn?
    /// ENVID= (RFC 3461 4.4), xtext-decoded.
    public var envelopeID: String?

    /// MAIL FROM parameters; each absent unless given.
    public init(
        size: Int? = nil,
        body: SMTPBodyType? = nil,
        smtpUTF8: Bool = false,
        auth: String? = nil,
        ret: SMTPDSNReturn? = nil,
        envelopeID: String? = nil
    ) {
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.auth = auth
        self.ret = ret
        self.envelopeID = envelopeID
    }

    /// Whether a DSN parameter (RFC 3461) is present.
    public var usesDSN: Bool { ret != nil || envelopeID != nil }
    /// Whether any parameter is present (an HELO session takes none).
    public var isEmpty: Bool { self == SMTPMailParameters() }
}

/// The parameters of RCPT TO (RFC 5321 4.1.2 `Rcpt-parameters`) that correo knows.
public struct SMTPRecipientParameters: Hashable, Sendable {
    /// NOTIFY= (RFC 3461 4.1).
    public var notify: SMTPDSNNotify?
    /// ORCPT= (RFC 3461 4.2): address type and the xtext-decoded original recipient.
    public var originalRecipient: String?

    /// RCPT TO parameters; each absent unless given.
    public init(notify: SMTPDSNNotify? = nil, originalRecipient: String? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }

    /// Whether a DSN parameter (RFC 3461) is present.
    public var usesDSN: Bool { notify != nil || originalRecipient != nil }
    /// Whether no parameter is present.
    public var isEmpty: Bool { self == SMTPRecipientParameters() }
}
