import Foundation

/// RCPT answered from memory: what the last full lookup read of passwords.txt and of the newsgroups, for
/// `MailStoreDefaults.recipientMemory` after it.
///
/// A full lookup reads both on a blocking-I/O thread: two thread hops and back for every RCPT, about a
/// third of the server's context switches per message. Only acceptance is remembered: a user added a
/// moment ago is never refused from memory (refusals are for good, 550), while one removed may still be
/// accepted for that second, as a message sent a second earlier would have been.
extension MailStore {
    /// Whether `address` surely names a local user now, from memory alone.
    ///
    /// That is: listed in passwords.txt (or, with `acceptingUnknown`, any address that can name a
    /// Maildir) and no newsgroup's address, as last read within `age`. False means "ask the disk"
    /// (`userExists`, `newsgroup(address:)`), never "no".
    public func rememberedRecipient(
        _ address: String,
        acceptingUnknown: Bool,
        within age: Duration = MailStoreDefaults.recipientMemory
    ) -> Bool {
        let wanted = address.lowercased()
        let groupsKnown = groupAddresses.withLock { memory in
            guard let checked = memory.checked, ContinuousClock.now - checked <= age else { return false }
            return !memory.addresses.contains(wanted)
        }
        guard groupsKnown, (try? Self.normalizedUser(address)) != nil else { return false }
        return acceptingUnknown || users.listedRecently(address, within: age)
    }

    /// Notes the groups' addresses as read by a lookup that began at `checked`.
    func rememberGroupAddresses(_ groups: [Newsgroup], checked: ContinuousClock.Instant) {
        let addresses = Set(groups.compactMap { $0.address?.lowercased() })
        groupAddresses.withLock { $0 = (addresses, checked) }
    }
}
