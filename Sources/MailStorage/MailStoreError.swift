import Foundation

/// What can go wrong in the store, each with a message a user or an operator can act on.
///
/// Every backend reports in these words (the PostgreSQL one translates its own), so that a protocol
/// server answers the same whichever store serves it.
public enum MailStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The address cannot name a user folder (empty, too long, or would leave the storage folder).
    case invalidAddress(String)
    /// The mailbox name breaks a rule; `reason` says which.
    case invalidMailboxName(String, reason: String)
    case mailboxNotFound(String)
    case mailboxExists(String)
    /// RFC 3501 6.3.4: INBOX cannot be deleted.
    case cannotDeleteInbox
    /// Maildir++ keeps children inside the parent's name: delete or move them first.
    case mailboxHasChildren(String)
    case messageNotFound(uid: UInt32)
    case invalidKeyword(String)
    /// The mailbox holds as many keywords as its backend can (a Maildir folder: 26 letters).
    case tooManyKeywords(String)
    /// RFC 3501 2.3.1.1: UIDs are 32-bit; the folder must be recreated (new UIDVALIDITY).
    case uidsExhausted(String)
    /// A message was already delivered or abandoned.
    case deliveryFinished
    case userNotFound(String)
    case userExists(String)
    case invalidPassword(String)
    /// passwords.txt or a folder index could not be understood.
    case corruptFile(path: String, reason: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)

    /// A sentence for the user or the operator.
    public var description: String {
        switch self {
        case .invalidAddress(let address):
            return "'\(address)' is not a usable mail address for a local user"
        case .invalidMailboxName(let name, let reason):
            return "mailbox name '\(name)' is not allowed: \(reason)"
        case .mailboxNotFound(let name): return "mailbox '\(name)' does not exist"
        case .mailboxExists(let name): return "mailbox '\(name)' already exists"
        case .cannotDeleteInbox: return "INBOX cannot be deleted"
        case .mailboxHasChildren(let name): return "mailbox '\(name)' has child mailboxes; delete them first"
        case .messageNotFound(let uid): return "no message with UID \(uid)"
        case .invalidKeyword(let keyword): return "'\(keyword)' is not a valid keyword"
        case .tooManyKeywords(let folder):
            return "mailbox '\(folder)' has no room for another keyword"
        case .uidsExhausted(let folder): return "mailbox '\(folder)' has used all UIDs; recreate it"
        case .deliveryFinished: return "this message was already delivered or abandoned"
        case .userNotFound(let user): return "no user '\(user)'"
        case .userExists(let user): return "user '\(user)' already exists"
        case .invalidPassword(let reason): return "password not accepted: \(reason)"
        case .corruptFile(let path, let reason): return "\(path) cannot be read: \(reason)"
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(String(cString: strerror(code)))"
        }
    }
}

extension MailStoreError: LocalizedError {
    /// The same sentence, for Foundation.
    public var errorDescription: String? { description }
}
