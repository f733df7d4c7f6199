import MailCore
import NIOCore
import SMTPCore

/// What the client adds to SMTPCore's shared grammar: the extension checks it asks about, the wire form of
/// a message, and log lines that never show credentials.
extension SMTPExtensions {
    /// No extensions: what a server answering only HELO offers.
    public static let none = SMTPExtensions(ehloReply: SMTPReply(code: 250, lines: [""]))

    /// RFC 2920 PIPELINING.
    public var pipelining: Bool { supports("PIPELINING") }
    /// RFC 3207 STARTTLS.
    public var startTLS: Bool { supports("STARTTLS") }
    /// RFC 6152 8BITMIME.
    public var eightBitMIME: Bool { supports("8BITMIME") }
    /// RFC 6531 SMTPUTF8.
    public var smtpUTF8: Bool { supports("SMTPUTF8") }
    /// RFC 4954 SASL mechanisms, with the pre-standard `AUTH=PLAIN LOGIN` lines some servers still send.
    var offeredMechanisms: [String] {
        let legacy = keywords.filter { $0.key.hasPrefix("AUTH=") }.flatMap { [String($0.key.dropFirst(5))] + $0.value }
        return authenticationMechanisms
            + legacy.map { $0.uppercased() }.filter { !authenticationMechanisms.contains($0) }
    }

    /// Whether the server offers AUTH in either form.
    var offersAuthentication: Bool { !offeredMechanisms.isEmpty || supports("AUTH") }

    /// RFC 1870 SIZE: the largest message the server takes; nil when it did not say or said 0 (no limit).
    public var messageSizeLimit: Int? { maximumSize.flatMap { $0 > 0 ? $0 : nil } }
}

extension SMTPCommand {
    /// The command for logs: AUTH's initial response (a credential) is never shown.
    var redactedForLog: String {
        if case .auth(let mechanism, .some) = self { return "AUTH \(mechanism) <redacted>" }
        var line = encoded
        return line.readString(length: max(0, line.readableBytes - 2)) ?? verb
    }
}

extension SMTPMailbox {
    /// Splits `local@domain` at its last "@" (MailCore's split); nil when either side is empty.
    init?(address: String) {
        guard let (local, domain) = EmailAddress.split(address), !local.isEmpty, !domain.isEmpty else { return nil }
        self.init(localPart: local, domain: domain)
    }
}

/// The message as it goes on the wire after DATA.
enum MessageWireForm {
    /// Every line ended by CRLF (SMTP carries lines, RFC 5321 §2.3.8: a bare LF or CR becomes CRLF), then
    /// SMTPCore's dot-stuffing and the terminating `CRLF . CRLF`.
    static func encode(_ message: [UInt8]) -> ByteBuffer {
        var input = ByteBuffer()
        input.reserveCapacity(message.count + 2)
        input.writeBytes(LineEnds.hasBareLineBreak(message) ? LineEnds.crlfLineBreaks(message) : message)
        var output = ByteBuffer()
        output.reserveCapacity(input.readableBytes + input.readableBytes / 64 + 5)
        var encoder = DotStuffingEncoder()
        encoder.encode(input, into: &output)
        encoder.finish(into: &output)
        return output
    }
}
