import IMAPServer
import MailStore
import SMTPServer

/// Logins of `serve --dev`: any address with any password (or only `--dev-password`), over IMAP and
/// SMTP AUTH alike.
///
/// An IMAP login as an address opens that address's mailbox; `all` or `*` opens the all-mail mailbox.
public struct DevLogins: IMAPLoginPolicy, SMTPAuthenticator {
    /// The one password, if one was given.
    public let password: String?
    let store: MailStore

    /// Logins against `store`, checking only `password` when one is given.
    public init(password: String?, store: MailStore) {
        self.password = password
        self.store = store
    }

    /// IMAP: true unless a `--dev-password` is set and `password` is not it; the name must be an all-mail login or an
    /// address that can name a folder.
    public func verify(username: String, password given: String) async -> Bool {
        if let password, given != password { return false }
        return DevMode.allMailLogins.contains(username.lowercased()) || (try? store.userDirectory(for: username)) != nil
    }

    /// The store user whose mailbox the login opens: the all-mail user for `all` and `*`, else the address lower-cased.
    public func owner(of username: String) -> String {
        DevMode.allMailLogins.contains(username.lowercased()) ? DevMode.allMailUser : username.lowercased()
    }

    /// SMTP AUTH: the same rule (a submitting application logs in with whatever it was configured with).
    public func authenticate(username: String, password given: String) async -> Bool {
        if let password { return given == password }
        return true
    }
}
