extension Users {
    /// `address`'s password as passwords.txt stores it (`{SCHEME}hash`, or a bare plain password), without
    /// any extra Dovecot fields; nil when the file has no such user.
    ///
    /// For copying users to another store as they are (`correo migrate`): the value is never hashed
    /// again, so every password keeps working and none is ever seen in clear.
    public func storedPassword(_ address: String) throws -> String? {
        try currentPasswords()[address.lowercased()]
    }

    /// Adds `address` with `storedPassword` written as it is (`{SCHEME}hash`, or a bare plain password),
    /// never hashed again: for users copied from another store (`correo migrate` from PostgreSQL).
    ///
    /// A value passwords.txt could not give back whole is refused with `invalidPassword`: empty, with a
    /// ':' (the field separator), a line break or a NUL, or making the line longer than a line read.
    public func add(_ address: String, storedPassword: String) throws {
        let user = try MailStore.normalizedUser(address)
        let line = "\(user):\(storedPassword)"
        guard !storedPassword.isEmpty, !storedPassword.contains(":"),
            !storedPassword.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }),
            Self.parse(line)?.password == storedPassword
        else { throw MailStoreError.invalidPassword("a stored password passwords.txt cannot keep") }
        try rewrite { lines in
            if lines.contains(where: { Self.parse($0)?.user == user }) { throw MailStoreError.userExists(user) }
            lines.append(line)
        }
    }
}
