import Foundation
import Logging
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import SMTPServer

#if canImport(Glibc)
import Glibc
#endif

/// Delivers into correo's Maildir store (MailStore): recipients are the users it knows (or, with
/// `acceptsUnknownRecipients`, any address at a local domain), messages are written into STORAGE/tmp/ as
/// they arrive (on a thread pool, never on an event loop) and made durable in each recipient's new/
/// before `deliver(to:)` returns.
public struct MailStoreDelivery: SMTPDeliveryTarget {
    /// The Maildir store delivered into; also holds the outbound queue and the newsgroups.
    public let store: MailStore
    /// The original tool's rule: every local part at a local domain is a mailbox, its Maildir made at the
    /// first delivery.
    ///
    /// Off by default (`correo serve`): unknown users get `550 5.1.1` at RCPT, so that typos and dictionary attacks
    /// neither fill the disk nor draw bounces to forged senders.
    public let acceptsUnknownRecipients: Bool
    /// Told the queue id of each message made durable in the outbound queue (the relay's wake-up).
    public let queued: @Sendable (String) -> Void
    /// The checks of unauthenticated mail delivered locally (SPF, DKIM, DMARC); nil: none.
    public let inbound: InboundAuthentication?
    /// Where users' mail goes when it is not `store` (the PostgreSQL store of `correo serve --store`);
    /// `store` still spools each message as it arrives.
    public let users: (any LocalDelivery)?
    /// The newsgroups, whose addresses archive mail (a list-to-news gateway): `store`'s, or those of
    /// the backend the users are in.
    public let newsgroups: any NewsgroupStore
    /// The outbound queue when it is not `store`'s (the PostgreSQL store's, which every node works).
    public let outbound: (any OutboundQueueStore)?
    private let threadPool: NIOThreadPool

    /// Delivery into `store` (or users' mail into `users`); file writes run on `threadPool`, off the
    /// event loops.
    public init(
        store: MailStore,
        users: (any LocalDelivery)? = nil,
        newsgroups: (any NewsgroupStore)? = nil,
        outbound: (any OutboundQueueStore)? = nil,
        acceptsUnknownRecipients: Bool = false,
        queued: @escaping @Sendable (String) -> Void = { _ in },
        inbound: InboundAuthentication? = nil,
        threadPool: NIOThreadPool = .singleton
    ) {
        self.store = store
        self.users = users
        self.newsgroups = newsgroups ?? store
        self.outbound = outbound
        self.acceptsUnknownRecipients = acceptsUnknownRecipients
        self.queued = queued
        self.inbound = inbound
        self.threadPool = threadPool
    }

    /// MailStore names users by their lower-cased address; an address that cannot name a Maildir folder
    /// (a "/", a leading ".", control octets) is never a mailbox, whatever the rule.
    public func mailbox(for address: String) async throws -> String? {
        // A newsgroup's --address: the mail is archived in the group (list-to-news gateway).
        if let group = try await newsgroups.newsgroup(address: address) { return Self.groupPrefix + group.name }
        if let users {
            // Only the database's users: a Maildir folder cannot be made for an unknown one there. A
            // database that cannot be asked throws: the recipient is refused for now, not for good.
            return try await users.acceptsMail(for: address) ? address.lowercased() : nil
        }
        if acceptsUnknownRecipients {
            return (try? store.userDirectory(for: address)) == nil ? nil : address.lowercased()
        }
        return await store.userExists(address) ? address.lowercased() : nil
    }

    /// A user the store remembers, when the users and the newsgroups are the store's own (`rememberedRecipient`):
    /// most RCPTs are then answered on the event loop, with no hop to a blocking-I/O thread and back.
    public func knownMailbox(for address: String) -> String? {
        guard users == nil, (newsgroups as? MailStore) === store,
            store.rememberedRecipient(address, acceptingUnknown: acceptsUnknownRecipients)
        else { return nil }
        return address.lowercased()
    }

    /// Marks a mailbox that is a newsgroup (no address contains it: it has no "@").
    static let groupPrefix = "#news:"

    /// Starts a message: its bytes go into the store's tmp/ as they arrive, nothing is visible before `deliver(to:)`.
    public func beginMessage() async throws -> any SMTPIncomingMessage {
        // No hop to the thread pool: beginning a message touches the disk only the first time (tmp/ is
        // made and swept), and its file is created by the first write that reaches the disk.
        MailStoreIncomingMessage(
            store: store,
            incoming: try store.beginDelivery(),
            users: users,
            newsgroups: newsgroups,
            outbound: outbound,
            threadPool: threadPool,
            queued: queued,
            inbound: inbound
        )
    }
}

struct MailStoreIncomingMessage: SMTPIncomingMessage {
    let store: MailStore
    let incoming: IncomingMessage
    let users: (any LocalDelivery)?
    let newsgroups: any NewsgroupStore
    let outbound: (any OutboundQueueStore)?
    let threadPool: NIOThreadPool
    let queued: @Sendable (String) -> Void
    let inbound: InboundAuthentication?

    func write(_ bytes: ByteBuffer) async throws {
        let incoming = self.incoming
        do {
            // Contiguous octets: the store appends them with one copy rather than octet by octet. Bytes that
            // only fill the write buffer are taken here; a write(2) goes to the thread pool.
            if try bytes.withUnsafeReadableBytes({ try incoming.writeIfBuffered($0) }) { return }
            try await threadPool.runIfActive { try bytes.withUnsafeReadableBytes { try incoming.write($0) } }
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        }
    }

    /// Any recipient that could not be stored fails the whole message (451/452): the client tries again
    /// later, and recipients already stored may see it twice, which is better than a lost message.
    func deliver(to mailboxes: [String]) async throws {
        if let users { return try await deliver(to: mailboxes, through: users) }
        let results: [DeliveryResult]
        do {
            let groups = mailboxes.filter { $0.hasPrefix(MailStoreDelivery.groupPrefix) }
            results = try await store.deliver(
                incoming,
                toGroups: groups.map { String($0.dropFirst(MailStoreDelivery.groupPrefix.count)) },
                users: mailboxes.filter { !$0.hasPrefix(MailStoreDelivery.groupPrefix) }
            )
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        }
        let failures = results.compactMap { result -> MailStoreError? in
            if case .failed(let error) = result.outcome { return error }
            return nil
        }
        guard failures.isEmpty else {
            if failures.allSatisfy(isNoSpace) { throw SMTPDeliveryError.insufficientStorage }
            throw SMTPDeliveryError.temporaryFailure("\(failures[0])")
        }
    }

    /// Users' copies through another backend, and newsgroups' through `newsgroups`.
    ///
    /// The spooled message is read back and handed over whole. Groups first: if the users' store then fails, the client
    /// tries again and a group may see the article twice, as with any partial failure.
    private func deliver(to mailboxes: [String], through users: any LocalDelivery) async throws {
        let groups = mailboxes.filter { $0.hasPrefix(MailStoreDelivery.groupPrefix) }
        let people = mailboxes.filter { !$0.hasPrefix(MailStoreDelivery.groupPrefix) }
        let incoming = self.incoming
        let bytes: [UInt8]
        do {
            guard let read = try await threadPool.runIfActive({ try incoming.contents(upTo: .max) }) else {
                throw SMTPDeliveryError.temporaryFailure("message unreadable")
            }
            bytes = read
            for group in groups {
                let name = String(group.dropFirst(MailStoreDelivery.groupPrefix.count))
                _ = try await newsgroups.openNewsgroup(name).append(
                    bytes: bytes,
                    flags: [],
                    keywords: [],
                    internalDate: Date()
                )
            }
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        }
        incoming.abandon()
        guard !people.isEmpty else { return }
        let results: [InboxDelivery]
        do {
            results = try await users.deliverToInboxes(bytes, users: people)
        } catch {
            throw SMTPDeliveryError.temporaryFailure("\(error)")
        }
        if let failure = results.compactMap(\.failure).first {
            throw SMTPDeliveryError.temporaryFailure("\(failure)")
        }
    }

    /// Durable in STORAGE/queue/ for every recipient, local ones included: the relay delivers those from
    /// the queue, so that one message has one delivery state and one set of notifications.
    func queue(_ envelope: SMTPEnvelope) async throws -> String {
        try await queue(envelope, localFolder: nil)
    }

    /// The same, with local recipients' copies going into `localFolder` (nil: the INBOX).
    func queue(_ envelope: SMTPEnvelope, localFolder: QueueEnvelope.LocalFolder?) async throws -> String {
        var record = QueueEnvelope(envelope)
        record.localFolder = localFolder
        let queued: QueueEnvelope
        do {
            if let outbound {
                // Another backend takes bytes: the spooled message is read back and handed over whole.
                let incoming = self.incoming
                guard let bytes = try await threadPool.runIfActive({ try incoming.contents(upTo: .max) }) else {
                    throw SMTPDeliveryError.temporaryFailure("message unreadable")
                }
                queued = try await outbound.enqueue(bytes: bytes, envelope: record)
                incoming.abandon()
            } else {
                queued = try await store.enqueue(incoming, envelope: record)
            }
        } catch let error as MailStoreError where isNoSpace(error) {
            throw SMTPDeliveryError.insufficientStorage
        } catch {
            throw SMTPDeliveryError.temporaryFailure("\(error)")
        }
        self.queued(queued.id)
        return queued.id
    }

    func discard() async {
        incoming.abandon()
    }
}

extension QueueEnvelope {
    /// The queue's record of an SMTP envelope: every recipient pending, with its DSN parameters.
    init(_ envelope: SMTPEnvelope) {
        let parameters = envelope.parameters
        self.init(
            id: OutboundQueue.newID(),
            sender: envelope.sender,
            recipients: envelope.recipients.map { recipient in
                var notify = DSNNotify.default
                switch recipient.parameters.notify {
                case .never?: notify = .never
                case .on(let success, let failure, let delay)?:
                    notify = DSNNotify(success: success, failure: failure, delay: delay)
                case nil: break
                }
                // A newsgroup's marker is no address: the queue keeps the group's own address.
                let mailbox = recipient.mailbox.flatMap { $0.hasPrefix(MailStoreDelivery.groupPrefix) ? nil : $0 }
                return QueuedRecipient(
                    address: mailbox ?? recipient.address,
                    originalRecipient: recipient.parameters.originalRecipient,
                    notify: notify
                )
            },
            envelopeID: parameters.envelopeID,
            returnContent: parameters.ret.map { $0 == .headers ? .headers : .full },
            eightBitMIME: parameters.body == .eightBitMIME || parameters.body == .binaryMIME,
            smtpUTF8: parameters.smtpUTF8,
            submitter: envelope.authenticatedUser,
            clientAddress: envelope.clientAddress
        )
    }
}

/// Checks AUTH credentials against a store's users (passwords.txt, or a database's table).
public struct MailStoreAuthenticator: SMTPAuthenticator {
    /// The store's users.
    public let users: any UserDirectory

    /// Checks AUTH against `users`.
    public init(users: any UserDirectory) { self.users = users }

    /// Whether `password` is the user's (a login name is the full address); throws when the users'
    /// store could not be asked.
    public func authenticate(username: String, password: String) async throws -> Bool {
        try await users.verify(address: username, password: password)
    }
}

/// Whether the store failed because the disk is full (`452 4.3.1` rather than `451 4.3.0`).
func isNoSpace(_ error: MailStoreError) -> Bool {
    if case .io(_, _, let code) = error { return code == ENOSPC }
    return false
}

extension SMTPServer {
    /// A server that delivers into `store` and checks AUTH against its passwords.txt.
    public convenience init(
        configuration: SMTPServerConfiguration,
        store: MailStore,
        tlsContext: NIOSSLContext?,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.init(
            configuration: configuration,
            delivery: MailStoreDelivery(store: store),
            authenticator: MailStoreAuthenticator(users: store),
            tlsContext: tlsContext,
            group: group,
            logger: logger
        )
    }
}
