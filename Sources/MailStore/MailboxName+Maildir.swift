/// How the Maildir backend spells a mailbox name on disk: Maildir++ folders below the user's Maildir.
extension MailboxName {
    /// The Maildir++ folder name: "" for INBOX (the Maildir itself), `.A.B` otherwise.
    var maildirFolder: String { isInbox ? "" : "." + components.joined(separator: ".") }

    /// Parses a Maildir++ folder name such as `.A.B` back into a name (nil for names we would refuse).
    init?(maildirFolder: String) {
        guard maildirFolder.hasPrefix("."), maildirFolder.count > 1 else { return nil }
        let parts = maildirFolder.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let name = try? MailboxName(parts), !name.isInbox else { return nil }
        self = name
    }
}
