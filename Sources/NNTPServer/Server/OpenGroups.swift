import MailStore
import Synchronization

/// The group mailboxes a news store has opened, by group name, so that ARTICLE, HEAD, BODY, STAT,
/// OVER and HDR by number reach the group's mailbox without asking the store again.
///
/// Opening a group validates the name and checks that it still exists: for Maildir three thread hops
/// and half a dozen `stat`s, for PostgreSQL a query, that a reader paging through a group paid on
/// every article. GROUP and LIST (which a client sends before reading a group) still go through the
/// store and refresh the entry here, so a group deleted by `correo group del` answers 411 at the next
/// GROUP; until then its articles answer 423 (they are gone), never another group's.
final class OpenGroups: Sendable {
    private let mailboxes = Mutex([String: any MailboxHandle]())

    /// The mailbox of `group` if one is kept (for answers given at once, which cannot ask the store).
    func known(_ group: String) -> (any MailboxHandle)? { mailboxes.withLock { $0[group] } }

    /// The mailbox of `group`: the one kept, or the store's (then kept).
    func mailbox(_ group: String, groups: any NewsgroupStore) async throws -> any MailboxHandle {
        if let known = known(group) { return known }
        return try await refresh(group, groups: groups)
    }

    /// The store's mailbox of `group` (which checks it still exists), kept for later requests.
    func refresh(_ group: String, groups: any NewsgroupStore) async throws -> any MailboxHandle {
        do {
            let mailbox = try await groups.openNewsgroup(group)
            mailboxes.withLock { $0[group] = mailbox }
            return mailbox
        } catch {
            _ = mailboxes.withLock { $0.removeValue(forKey: group) }
            throw error
        }
    }
}
