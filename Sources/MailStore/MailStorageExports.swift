// The store's vocabulary (MailboxName, MailboxInfo, MailStoreError) and its interfaces (UserDirectory,
// MailboxDirectory) live in MailStorage, below every backend; MailStore re-exports them so that a caller
// of the Maildir backend names them without a second import while the callers move onto the interfaces.
@_exported import MailStorage
