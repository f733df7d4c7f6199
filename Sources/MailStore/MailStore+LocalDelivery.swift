/// The Maildir store as every backend's local delivery: hard links from one file in STORAGE/tmp/ into
/// each recipient's new/, with the group commit of `deliver(_:to:)`.
extension MailStore: LocalDelivery {
    /// A user in passwords.txt (or a folder made for them).
    public func acceptsMail(for address: String) async -> Bool {
        await userExists(address)
    }

    /// `deliver(bytes:to:)`, its per-recipient results in the words every backend uses.
    public func deliverToInboxes(_ bytes: [UInt8], users: [String]) async throws -> [InboxDelivery] {
        try await deliver(bytes: bytes, to: users).map { result in
            switch result.outcome {
            case .delivered: InboxDelivery(user: result.recipient, failure: nil)
            case .failed(let error): InboxDelivery(user: result.recipient, failure: error)
            }
        }
    }
}

extension MailStore: MailStorageBackend {
    /// STORAGE/queue/.
    public var outboundQueue: any OutboundQueueStore { queue }
}
