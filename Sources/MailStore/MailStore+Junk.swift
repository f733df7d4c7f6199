/// The Junk folder that mail filed as junk (DMARC `p=quarantine`) goes into, whether it is delivered at
/// the MX or later from the outbound queue.
extension MailStore {
    /// The user's Junk folder: the one marked `\Junk` (RFC 6154), made as "Junk" when the user has none.
    public func junkMailbox(user address: String) async throws -> Mailbox {
        let folders = try await listMailboxes(user: address)
        if let junk = folders.first(where: { $0.specialUse == .junk }) {
            return try await mailbox(user: address, name: junk.name)
        }
        let name = try MailboxName(["Junk"])
        // Another delivery may make it at the same moment: a failure here shows in the look-up below.
        if !folders.contains(where: { $0.name == name }) { try? await createMailbox(user: address, name: name) }
        return try await mailbox(user: address, name: name)
    }

    /// Appends `bytes` durably to each user's Junk folder (`junkMailbox(user:)`); the first failure
    /// throws, and users before it keep their copy.
    public func deliverToJunk(bytes: [UInt8], users: [String]) async throws {
        for user in users {
            _ = try await junkMailbox(user: user).append(bytes: bytes)
        }
    }
}
