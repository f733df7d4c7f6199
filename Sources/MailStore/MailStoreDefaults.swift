import Foundation

/// Every limit and tunable of the store, in one place.
public enum MailStoreDefaults {
    /// Longest mailbox name component, in UTF-8 bytes (the limit every backend shares).
    public static let maximumMailboxComponentBytes = MailStorageLimits.maximumMailboxComponentBytes
    /// Longest whole mailbox name, in UTF-8 bytes.
    public static let maximumMailboxNameBytes = MailStorageLimits.maximumMailboxNameBytes
    /// Deepest mailbox hierarchy.
    public static let maximumMailboxDepth = MailStorageLimits.maximumMailboxDepth
    /// Longest address accepted as a user (RFC 5321 4.5.3.1.3 path limit minus the brackets).
    public static let maximumAddressBytes = 254
    /// Keywords per folder: Dovecot's Maildir letters `a`…`z`.
    public static let maximumKeywordsPerMailbox = 26
    /// Longest keyword (an IMAP atom), in bytes.
    public static let maximumKeywordBytes = Keyword.maximumBytes
    /// Bytes collected by `IncomingMessage.write` before one write(2).
    public static let deliveryWriteBufferBytes = 64 * 1024
    /// Threads that fsync the files and folders of one group-commit batch side by side.
    public static let deliverySyncThreads = 16
    /// Fewest renames a STORE makes before it stats their files side by side first
    /// (`MaildirFolder.statSideBySide`): below it, the lookups one after another cost little.
    public static let sideBySideStatThreshold = 64
    /// Flag renames written behind a STORE in one turn of the mailbox's queue: between turns the
    /// queue serves what sessions asked meanwhile (the STORE's own look waits for one turn, ~1 ms);
    /// as many as `sideBySideStatThreshold`, so a turn after a restart stats its files side by side.
    public static let renamesBehindPerTurn = 64
    /// Fewest messages a STORE names before its renames are written behind its answer: below, the
    /// journal (a lock, a write, a removal) costs more than the few renames it would put off.
    public static let renamesBehindThreshold = 16
    /// Opening a folder from its cache makes its records in two halves side by side from this many
    /// messages: below, handing half to another thread costs more than it saves.
    public static let sideBySideOpenThreshold = 2048
    /// Threads of `SideBySide` (its parts beyond the caller's own).
    public static let sideBySideLanes = 2
    /// Hash ranges a big ext4 directory is listed in side by side (`SplitListing`), a power of two.
    public static let splitListingParts = 8
    /// Smallest directory (its size in bytes, ~60 bytes a name) listed in ranges: below, one reader.
    public static let splitListingMinimumBytes = 64 * 1024
    /// Threads that read the files of one FETCH or SEARCH chunk side by side (`ParallelRead`).
    public static let parallelReadThreads = 16
    /// Fewest files a read thread is given: below it, handing them over costs more than a warm read.
    public static let parallelReadMinimumPerLane = 4
    /// Threads that open the files read ahead for a client reading bodies in a regular order
    /// (`ReadAhead`): each open waits on a directory block and an inode after a restart, side by side.
    public static let readAheadThreads = 4
    /// Biggest message a FETCH reads on its event loop when it is cached (`Mailbox.messageIfCached`):
    /// copying more would hold the loop's other connections longer than the hop it saves.
    public static let cachedReadMostBytes = 1 << 20
    /// How often a mailbox with change listeners looks at its folders for other programs' changes.
    public static let changePollInterval: Duration = .milliseconds(500)
    /// How much older than a scan the folders' modification times must be for an unchanged time to
    /// prove nothing changed.
    ///
    /// Linux stamps a file system change with its coarse clock (`CLOCK_REALTIME_COARSE`, one tick: 4 ms
    /// at HZ=250), so a change made after a scan began carries a later time than one made more than a
    /// tick before it; three ticks, at least 10 ms and at most 100 ms, leave room for the two clocks'
    /// skew. It was 100 ms: on a folder changed just before its first look, the next command listed
    /// it again.
    public static let trustedStampAge: TimeInterval = {
        var resolution = timespec()
        guard clock_getres(CLOCK_REALTIME_COARSE, &resolution) == 0 else { return 0.1 }
        let tick = Double(resolution.tv_sec) + Double(resolution.tv_nsec) / 1e9
        return min(0.1, max(0.01, 3 * tick))
    }()
    /// How long after a scan whose stamp was too young to trust the mailbox scans again by itself
    /// (`Mailbox.settle`): long enough for the times it found to have become old enough.
    public static let settleDelay: Duration = .milliseconds(150)
    /// The longest a settle waits for clients to pause (`Mailbox.settleWhenQuiet`).
    public static let settleLongestWait: Duration = .seconds(2)
    /// How long a modified metadata cache waits before it is written, so bursts cost one write.
    public static let cacheWriteDelay: Duration = .seconds(2)
    /// Bytes read at a time when looking for the end of a message's header section.
    public static let headerReadChunkBytes = 16 * 1024
    /// Bytes of derived values (header sections, encoded BODYSTRUCTUREs…) one mailbox keeps in memory
    /// and in `correo-derived`; beyond it they are computed each time.
    public static let derivedCacheBytesPerMailbox = 128 * 1024 * 1024
    /// Users whose last verified password `Users` remembers (as an HMAC, never the password).
    public static let verifiedCredentialsCapacity = 10_000
    /// How long a verified password is remembered: a reconnecting client skips the hash for this long.
    public static let verifiedCredentialsLifetime: TimeInterval = 15 * 60
    /// How long an RCPT may be accepted from what the last full lookup read (`MailStore.rememberedRecipient`):
    /// a user removed from passwords.txt may get mail for this long after.
    public static let recipientMemory: Duration = .seconds(1)
    /// Longest line in passwords.txt.
    public static let maximumPasswordLineBytes = 4096
    /// Longest password accepted by `Users`.
    public static let maximumPasswordBytes = 1024
    /// SHA512-CRYPT rounds for new passwords (glibc's default is 5,000; 100,000 costs ~50 ms).
    public static let sha512CryptRounds = 100_000
    /// PBKDF2 rounds for new PBKDF2 hashes (Dovecot's format, SHA-1 HMAC as Dovecot does).
    public static let pbkdf2Rounds = 210_000
    /// Files in a store-level tmp/ older than this are leftovers of a crash (Maildir's 36 hours).
    public static let staleTemporaryFileAge: TimeInterval = 36 * 3600
    /// Special-use folders made when a user's Maildir is created (RFC 6154).
    public static let specialUseFolders: [(name: String, use: SpecialUse)] = [
        ("Sent", .sent), ("Drafts", .drafts), ("Trash", .trash), ("Junk", .junk), ("Archive", .archive),
    ]
}
