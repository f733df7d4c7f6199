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
    /// When set, each recipient lookup waits for one element of this stream.
    let lookupGate: AsyncStream<Void>?
    /// When set, each write of message bytes waits for one element of this stream.
    let writeGate: AsyncStream<Void>?
    /// Users `knownMailbox` names at once, without a lookup.
    let remembered: Set<String>
    private let lookupCount = Mutex(0)
    private let beginCount = Mutex(0)

    init(
        users: Set<String> = ["bob@example.test", "alice@example.test"],
        failure: SMTPDeliveryError? = nil,
        gate: AsyncStream<Void>? = nil,
        lookupGate: AsyncStream<Void>? = nil,
        writeGate: AsyncStream<Void>? = nil,
        remembered: Set<String> = []
    ) {
        self.lookupGate = lookupGate
        self.writeGate = writeGate
        self.remembered = remembered
        self.users = users
        self.failure = failure
        self.gate = gate
    }

    var stored: [Stored] { state.withLock { $0.stored } }
    var discarded: Int { state.withLock { $0.discarded } }
    /// How many times `mailbox(for:)` was asked.
    var lookups: Int { lookupCount.withLock { $0 } }

    func mailbox(for address: String) async -> String? {
        lookupCount.withLock { $0 += 1 }
        if let lookupGate {
            for await _ in lookupGate { break }
        }
        return users.contains(address.lowercased()) ? address.lowercased() : nil
    }

    func knownMailbox(for address: String) -> String? {
        remembered.contains(address.lowercased()) ? address.lowercased() : nil
    }

    func beginMessage() async throws -> any SMTPIncomingMessage {
        beginCount.withLock { $0 += 1 }
        return MemoryMessage(owner: self)
    }

    /// How many messages were begun in the store.
    var begun: Int { beginCount.withLock { $0 } }

    fileprivate func store(_ message: Stored) { state.withLock { $0.stored.append(message) } }
    fileprivate func discard() { state.withLock { $0.discarded += 1 } }
}

private final class MemoryMessage: SMTPIncomingMessage {
    let owner: MemoryDelivery
    let bytes = Mutex<[UInt8]>([])

    init(owner: MemoryDelivery) { self.owner = owner }

    func write(_ buffer: ByteBuffer) async throws {
        if let gate = owner.writeGate {
            for await _ in gate { break }
        }
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
