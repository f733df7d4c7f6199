import MailStore

import struct MailCore.MessageHeader

/// An IMAP APPEND into `#news.GROUP` is a post: the IMAP server hands it here, and it goes through
/// POST's injection (`inject`), with POST's checks and the fields RFC 5537 §3.5 has the injecting
/// agent add (Message-ID and Date if missing, Path with ".POSTED", Injection-Date, Injection-Info).
extension BackendNewsStore: NewsPosting {
    /// POST's limit (NNTPDefaults.maximumArticleBytes): an article NNTP would refuse is refused here too.
    public var maximumArticleBytes: Int { NNTPDefaults.maximumArticleBytes }

    /// Posts `article`, APPENDed into the folder of `group`.
    ///
    /// A mail client writes no Newsgroups field, so a missing one becomes `Newsgroups: group`; one
    /// that is there must name `group` (the folder the user chose), and may name others (a cross-post,
    /// as with POST).
    public func postAppended(
        _ article: [UInt8],
        to group: String,
        user: String,
        clientAddress: String
    ) async throws
        -> AppendedPost
    {
        guard article.count <= maximumArticleBytes else {
            return .refused("article larger than \(maximumArticleBytes) octets")
        }
        guard try await groups.newsgroup(group) != nil else { return .refused("no such newsgroup: \(group)") }
        var posted = article
        if let newsgroups = MessageHeader.parse(article).header.field(named: "Newsgroups")?.value {
            guard Self.newsgroupNames(newsgroups).contains(group) else {
                return .refused("the Newsgroups header field does not name \(group)")
            }
        } else {
            posted = Array("Newsgroups: \(group)\r\n".utf8) + article
        }
        switch try await inject(posted, user: user, clientAddress: clientAddress) {
        case .refused(let reason):
            return .refused(reason)
        case .stored(let id, let numbers):
            // Present: `group` exists and is named, so the injection stored the article there.
            guard let stored = numbers[group] else { return .refused("no such newsgroup: \(group)") }
            return .posted(messageID: id, uidValidity: stored.uidValidity, number: stored.number)
        }
    }
}
