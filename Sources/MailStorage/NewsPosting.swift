/// Posting an article to a newsgroup the way NNTP's POST does (RFC 5537 §3.5), for the IMAP server's
/// APPEND into the shared folder `#news.GROUP`.
///
/// The NNTP server's news store conforms; the IMAP server takes one from `correo serve` without
/// depending on the NNTP server, so both protocols inject an article through the same code.
public protocol NewsPosting: Sendable {
    /// Posts `article` (CRLF line ends), APPENDed by `user` from `clientAddress` into the folder of
    /// `group`: the answer has the article's number in `group`, or why it was refused.
    func postAppended(
        _ article: [UInt8],
        to group: String,
        user: String,
        clientAddress: String
    ) async throws
        -> AppendedPost

    /// The largest article accepted, in octets.
    var maximumArticleBytes: Int { get }
}

/// The answer to an article posted by APPEND.
public enum AppendedPost: Equatable, Sendable {
    /// Stored in `group` with `number` (its UID) under `uidValidity`, as `messageID`.
    case posted(messageID: String, uidValidity: UInt32, number: UInt32)
    /// Not posted, for `reason` (the text of POST's 441).
    case refused(String)
}
