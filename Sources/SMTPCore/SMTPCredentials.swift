/// A user name and password for SMTP AUTH (RFC 4954).
///
/// The client sends them and the server checks them; the password never appears in descriptions or logs.
public struct SMTPCredentials: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The authentication identity (for correo's own users, an address as in passwords.txt).
    public var username: String
    /// The password, never logged.
    public var password: String

    /// Credentials for AUTH.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The user name only: safe for logs and error messages.
    public var description: String { "\(username) (password withheld)" }
    /// As `description`: the password stays out of debug output too.
    public var debugDescription: String { description }
}
