import Foundation
import SMTPServer

/// `correo serve --dev`: the test mail server for developers.
///
/// Every address at every domain is a mailbox, nothing leaves the machine, any login reads its own address's mail, and
/// an HTTP API and a web page show what arrived.
public struct DevSettings: Sendable, Equatable {
    /// The one password every login needs (`--dev-password`); nil: any password will do.
    public var password: String?
    /// The SMTP faults played from the start (`--dev-fault`); the API can replace them at run time.
    public var faults: [SMTPFault]
    /// The address patterns a captured message may be released to through the relay
    /// (`--dev-release-allow`, `*` for any run of characters); empty: release is refused.
    public var releaseAllow: [String]

    /// The developer's mode with `password` (nil: any), `faults` and the release allow-list.
    public init(password: String? = nil, faults: [SMTPFault] = [], releaseAllow: [String] = []) {
        self.password = password
        self.faults = faults
        self.releaseAllow = releaseAllow
    }
}

/// The names and texts of the developer's mode, in one place.
public enum DevMode {
    /// The store user holding a link to every message: the "all mail" mailbox.
    ///
    /// In `.invalid` (RFC 2606), so that it can never be someone's real address.
    public static let allMailUser = "all@correo.invalid"
    /// IMAP logins that open the all-mail mailbox.
    public static let allMailLogins: Set<String> = ["all", "*"]
    /// The warning in the log and on the web page.
    public static let warning =
        "correo --dev accepts mail for every address, lets any password in and shows all mail over HTTP: "
        + "never let it face the internet."
    /// SMTP of `serve --dev`: Mailpit's port, so that an application set up for Mailpit finds it (the dev ports
    /// all keep clear of the real servers' ports).
    public static let smtpPort = 1025
    /// Submission with STARTTLS (the role of 587).
    public static let submissionPort = 1587
    /// IMAP with STARTTLS (the role of 143).
    public static let imapPort = 1143
    /// IMAP over implicit TLS (the role of 993).
    public static let imapsPort = 1993
    /// The API and the web page: Mailpit's HTTP port.
    public static let httpPort = 8025

    /// A fresh folder for the store under the system's temporary folder (`/tmp/correo-dev-XXXXXX`).
    public static func freshStorage() throws -> URL {
        var template = Array((NSTemporaryDirectory() + "/correo-dev-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: NSTemporaryDirectory()])
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }
}
