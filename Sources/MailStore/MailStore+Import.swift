import Foundation

/// Filling a new user's Maildir from another store (`correo migrate` from PostgreSQL), keeping UIDs.
extension MailStore {
    /// Makes (or takes, when empty and never opened) the mailbox `name` of `address` and returns the
    /// import that fills it with messages keeping their UIDs under `uidValidity`, `uidNext`.
    ///
    /// A mailbox that has a uidlist or messages already is refused (`mailboxExists`): its UIDs are
    /// taken. Nothing may open the mailbox before `MaildirFolderImport.finish()`.
    public func importMailbox(
        user address: String,
        name: MailboxName,
        uidValidity: UInt32,
        uidNext: UInt32
    ) async throws -> MaildirFolderImport {
        let userPath = try prepareUser(address)
        if !name.isInbox {
            do {
                try await createMailbox(user: address, name: name)
            } catch MailStoreError.mailboxExists {
                // Made with the user (a special-use folder) or as a parent: checked below.
            }
        }
        let path = name.isInbox ? userPath : userPath + "/" + name.maildirFolder
        guard !POSIX.fileExists(path + "/" + UIDList.fileName), try POSIX.listDirectory(path + "/cur").isEmpty,
            try POSIX.listDirectory(path + "/new").isEmpty
        else { throw MailStoreError.mailboxExists(name.description) }
        return MaildirFolderImport(path: path, name: name, uidValidity: uidValidity, uidNext: uidNext)
    }

    /// Replaces `address`'s subscriptions (RFC 3501 6.3.6) with `names`, as another store kept them.
    public func importSubscriptions(user address: String, _ names: [MailboxName]) throws {
        try writeSubscriptions(names, userPath: try prepareUser(address))
    }

    /// Makes the Maildir of `group` for an import keeping its article numbers (`correo migrate` from
    /// PostgreSQL); nil when the store lists the group already.
    ///
    /// The group is listed (`addNewsgroup`) only after its import finished, so a folder without a
    /// listing is what an interrupted import left: it is emptied and filled again.
    public func importNewsgroup(
        _ group: Newsgroup,
        uidValidity: UInt32,
        uidNext: UInt32
    ) async throws -> MaildirFolderImport? {
        try Newsgroup.validate(group.name)
        guard try await newsgroup(group.name) == nil else { return nil }
        let path = newsPath + "/" + group.name
        try await BlockingIO.run { [self] in
            try POSIX.makeDirectory(root.path)
            try POSIX.makeDirectory(newsPath)
            if POSIX.isDirectory(path) { try FileManager.default.removeItem(atPath: path) }
            _ = try Self.makeMaildir(path)
        }
        return MaildirFolderImport(
            path: path,
            name: try Self.mailboxName(group: group.name),
            uidValidity: uidValidity,
            uidNext: uidNext
        )
    }
}
