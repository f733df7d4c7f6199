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
}
