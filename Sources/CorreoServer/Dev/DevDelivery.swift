import MailStore
import NIOCore
import NIOPosix
import SMTPServer

/// The catch-all delivery of `serve --dev`: every address that can name a folder is a mailbox, and
/// each message is written once and hard-linked into each recipient's INBOX and the all-mail INBOX
/// (the store's ordinary multi-recipient delivery: one inode, one name per mailbox, so that a
/// recipient's IMAP flags and deletions stay its own while the disk holds the bytes once).
///
/// Nothing is ever queued for another host.
public struct DevDelivery: SMTPDeliveryTarget {
    let store: MailStore
    let messages: DevMessages
    private let threadPool: NIOThreadPool

    /// Delivery into `store`, telling `messages` of each arrival; file writes run on `threadPool`.
    public init(store: MailStore, messages: DevMessages, threadPool: NIOThreadPool = .singleton) {
        self.store = store
        self.messages = messages
        self.threadPool = threadPool
    }

    /// Any address at any domain, lower-cased, unless it cannot name a folder ("/", a leading ".").
    public func mailbox(for address: String) async -> String? {
        (try? store.userDirectory(for: address)) == nil ? nil : address.lowercased()
    }

    /// Starts a message: written into the store's tmp/ as it arrives, then linked into each recipient's
    /// INBOX and the all-mail INBOX.
    public func beginMessage() async throws -> any SMTPIncomingMessage {
        DevIncomingMessage(
            written: MailStoreIncomingMessage(
                store: store,
                incoming: try store.beginDelivery(),
                users: nil,
                newsgroups: store,
                outbound: nil,
                threadPool: threadPool,
                queued: { _ in },
                inbound: nil
            ),
            messages: messages
        )
    }
}

/// A message on its way into the dev store: written as usual, delivered to its recipients and the
/// all-mail mailbox, and its envelope kept for the API.
struct DevIncomingMessage: SMTPIncomingMessage {
    let written: MailStoreIncomingMessage
    let messages: DevMessages

    func write(_ bytes: ByteBuffer) async throws {
        try await written.write(bytes)
    }

    func deliver(to mailboxes: [String]) async throws {
        try await deliver(
            to: mailboxes,
            origin: SMTPMessageOrigin(clientAddress: "", heloName: "", sender: "", authenticatedUser: nil)
        )
    }

    func deliver(to mailboxes: [String], origin: SMTPMessageOrigin) async throws {
        let results: [DeliveryResult]
        do {
            results = try await written.store.deliver(written.incoming, to: [DevMode.allMailUser] + mailboxes)
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        }
        for result in results {
            guard case .failed(let error) = result.outcome else { continue }
            throw isNoSpace(error)
                ? SMTPDeliveryError.insufficientStorage : SMTPDeliveryError.temporaryFailure("\(error)")
        }
        guard case .delivered(let fileName)? = results.first?.outcome else { return }
        await messages.arrived(
            allMailFile: fileName,
            envelope: DevEnvelope(sender: origin.sender, recipients: mailboxes, client: origin.clientAddress)
        )
    }

    func discard() async {
        await written.discard()
    }
}
