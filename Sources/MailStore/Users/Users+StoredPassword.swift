extension Users {
    /// `address`'s password as passwords.txt stores it (`{SCHEME}hash`, or a bare plain password), without
    /// any extra Dovecot fields; nil when the file has no such user.
    ///
    /// For copying users to another store as they are (`correo migrate`): the value is never hashed
    /// again, so every password keeps working and none is ever seen in clear.
    public func storedPassword(_ address: String) throws -> String? {
        try currentPasswords()[address.lowercased()]
    }
}
