import Logging
import MailStore
import NIOCore
import NIOPosix
import NIOSSL
import SMTPServer

#if canImport(Glibc)
import Glibc
#endif

/// Delivers into correo's Maildir store (MailStore): recipients are the users it knows, messages are
/// written into STORAGE/tmp/ as they arrive (on a thread pool, never on an event loop) and made durable
/// in each recipient's new/ before `deliver(to:)` returns.
public struct MailStoreDelivery: SMTPDeliveryTarget {
    public let store: MailStore
    private let threadPool: NIOThreadPool

    public init(store: MailStore, threadPool: NIOThreadPool = .singleton) {
        self.store = store
        self.threadPool = threadPool
    }

    /// MailStore names users by their lower-cased address.
    public func mailbox(for address: String) async -> String? {
        await store.userExists(address) ? address.lowercased() : nil
    }

    public func beginMessage() async throws -> any SMTPIncomingMessage {
        // No hop to the thread pool: beginning a message touches the disk only the first time (tmp/ is
        // made and swept), and its file is created by the first write that reaches the disk.
        MailStoreIncomingMessage(store: store, incoming: try store.beginDelivery(), threadPool: threadPool)
    }
}

private struct MailStoreIncomingMessage: SMTPIncomingMessage {
    let store: MailStore
    let incoming: IncomingMessage
    let threadPool: NIOThreadPool

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
        let results: [DeliveryResult]
        do {
            results = try await store.deliver(incoming, to: mailboxes)
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

    func discard() async {
        incoming.abandon()
    }
}

/// Checks AUTH credentials against passwords.txt (MailStore's Users).
public struct MailStoreAuthenticator: SMTPAuthenticator {
    public let users: Users

    public init(users: Users) { self.users = users }

    public func authenticate(username: String, password: String) async -> Bool {
        await users.verify(address: username, password: password)
    }
}

/// Whether the store failed because the disk is full (`452 4.3.1` rather than `451 4.3.0`).
private func isNoSpace(_ error: MailStoreError) -> Bool {
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
            authenticator: MailStoreAuthenticator(users: store.users),
            tlsContext: tlsContext,
            group: group,
            logger: logger
        )
    }
}
