/// Who may log in and whose folders a login opens.
///
/// Without one, the server checks passwords.txt and a login opens the folders of the user it names; `correo serve
/// --dev` brings its own (any password, and a login such as `all` that opens the mailbox of every message).
public protocol IMAPLoginPolicy: Sendable {
    /// Whether `password` lets `username` in.
    func verify(username: String, password: String) async -> Bool
    /// The store user whose folders the logged-in `username` works on.
    func owner(of username: String) -> String
}
