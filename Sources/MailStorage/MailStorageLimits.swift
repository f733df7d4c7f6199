/// The limits of a mailbox name that every backend accepts: those of the strictest, the Maildir one,
/// where a whole name must fit in one file-name component, so that a store can always move to another
/// (`correo migrate`) without a name it cannot hold.
public enum MailStorageLimits {
    /// Longest mailbox name component, in UTF-8 bytes (a file-name component may hold 255 bytes;
    /// the Maildir++ dot and the parent names share that budget, see `maximumMailboxNameBytes`).
    public static let maximumMailboxComponentBytes = 200
    /// Longest whole mailbox name, in UTF-8 bytes: the Maildir++ folder `.A.B.C` must fit in one
    /// file-name component of 255 bytes.
    public static let maximumMailboxNameBytes = 250
    /// Deepest mailbox hierarchy.
    public static let maximumMailboxDepth = 16
    /// Kinds of derived value (`MailboxHandle.storeDerivedValues`) one message keeps at most.
    ///
    /// A client names a new kind with every list of header fields it fetches; each lookup walks a
    /// message's values, and nothing else bounds how many lists a client sends. Past this, new kinds
    /// are computed each time. correo's own (a header, six search fields, four FETCH items, an overview
    /// line) leave room for a few lists.
    public static let derivedKindsPerMessage = 16
}
