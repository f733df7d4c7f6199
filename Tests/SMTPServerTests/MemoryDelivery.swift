import NIOCore
import SMTPServer
import Synchronization

/// A delivery target in memory, for handler tests: known users, stored messages, and optional failure
/// or hold-up of delivery.
final class MemoryDelivery: SMTPDeliveryTarget {
    struct Stored: Hashable, Sendable {
        var bytes: [UInt8]
        var recipients: [String]
    }

    let users: Set<String>
    let failure: SMTPDeliveryError?
    private let state = Mutex<(stored: [Stored], discarded: Int)>(([], 0))
    /// When set, each delivery waits for one element of this stream before it finishes.
    let gate: AsyncStream<Void>?

    init(
        users: Set<String> = ["bob@example.test", "alice@example.test"],
        failure: SMTPDeliveryError? = nil,
        gate: AsyncStream<Void>? = nil
    ) {
        self.users = users
        self.failure = failure
        self.gate = gate
    }

    var stored: [Stored] { state.withLock { $0.stored } }
    var discarded: Int { state.withLock { $0.discarded } }

    func mailbox(for address: String) async -> String? {
        users.contains(address.lowercased()) ? address.lowercased() : nil
    }

    func beginMessage() async throws -> any SMTPIncomingMessage {
        MemoryMessage(owner: self)
    }

    fileprivate func store(_ message: Stored) { state.withLock { $0.stored.append(message) } }
    fileprivate func discard() { state.withLock { $0.discarded += 1 } }
}

private final class MemoryMessage: SMTPIncomingMessage {
    let owner: MemoryDelivery
    let bytes = Mutex<[UInt8]>([])

    init(owner: MemoryDelivery) { self.owner = owner }

    func write(_ buffer: ByteBuffer) async throws {
        bytes.withLock { $0 += buffer.readableBytesView }
    }

    func deliver(to mailboxes: [String]) async throws {
        if let gate = owner.gate {
            for await _ in gate { break }
        }
        if let failure = owner.failure { throw failure }
        owner.store(MemoryDelivery.Stored(bytes: bytes.withLock { $0 }, recipients: mailboxes))
    }

    func discard() async { owner.discard() }
}

/// Accepts `alice@example.test` / `secret`.
struct StaticAuthenticator: SMTPAuthenticator {
    func authenticate(username: String, password: String) async -> Bool {
        username == "alice@example.test" && password == "secret"
    }
}
