import ArgumentParser
import Foundation
import MailStore

/// `correo queue`: look at and steer the outbound queue in STORAGE/queue/ (or a PostgreSQL store's, with
/// `--store`), also while the server runs (it reads the queue again within seconds; every change is made
/// under the queue's lock).
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List, show, flush, hold, release or delete messages in the outbound queue.",
        subcommands: [List.self, Show.self, Flush.self, Hold.self, Release.self, Delete.self]
    )

    typealias StorageOptions = BackendStoreOption

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per queued message, oldest first.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await storage.withQueue { Self.print(try await $0.envelopes()) }
        }

        static func print(_ envelopes: [QueueEnvelope]) {
            if envelopes.isEmpty { return Swift.print("The queue is empty.") }
            let formatter = ISO8601DateFormatter()
            for envelope in envelopes {
                let pending = envelope.pendingRecipients
                let state = envelope.held ? "held" : "next try \(formatter.string(from: envelope.nextAttempt))"
                Swift.print(
                    "\(envelope.id)  \(envelope.size) B  from <\(envelope.sender)>  arrived "
                        + "\(formatter.string(from: envelope.arrival))  \(envelope.attempts) attempt(s), \(state)"
                )
                for recipient in pending {
                    Swift.print("    \(recipient.address)\(recipient.lastReply.map { "  (\($0))" } ?? "")")
                }
            }
            Swift.print("\(envelopes.count) message\(envelopes.count == 1 ? "" : "s") queued.")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A message's envelope and delivery state, then its header."
        )
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The queue id (from `correo queue list` or the log).") var id: String

        func run() async throws {
            let id = self.id
            try await storage.withQueue { queue in
                guard let envelope = try await queue.envelope(id) else { throw QueueCommandError.notQueued(id) }
                Self.print(envelope, message: try await queue.message(id))
            }
        }

        static func print(_ envelope: QueueEnvelope, message: [UInt8]) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            Swift.print(String(decoding: (try? encoder.encode(envelope)) ?? Data(), as: UTF8.self))
            // The header only: a body is the sender's business, and may be large.
            let end = Self.headerEnd(message)
            Swift.print("")
            Swift.print(String(decoding: message[..<end], as: UTF8.self), terminator: "")
        }

        static func headerEnd(_ bytes: [UInt8]) -> Int {
            var index = 0
            while index + 3 < bytes.count {
                if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                    return index + 2
                }
                index += 1
            }
            return bytes.count
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make every message that is not held due now.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await storage.withQueue { queue in
                var count = 0
                for envelope in try await queue.envelopes() where !envelope.held {
                    let now = Date()
                    try await queue.update(envelope.id, removeWhenFinished: false) { $0.nextAttempt = now }
                    count += 1
                }
                print("\(count) message\(count == 1 ? "" : "s") will be tried at once.")
            }
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a message in the queue without trying it.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The queue id.") var id: String

        func run() async throws {
            let id = self.id
            try await storage.withQueue { queue in
                guard try await queue.update(id, removeWhenFinished: false, { $0.held = true }) != nil else {
                    throw QueueCommandError.notQueued(id)
                }
                print("\(id) is held.")
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a held message; it is tried at once.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The queue id.") var id: String

        func run() async throws {
            let id = self.id
            try await storage.withQueue { queue in
                let now = Date()
                let released = try await queue.update(id, removeWhenFinished: false) {
                    $0.held = false
                    $0.nextAttempt = now
                }
                guard released != nil else { throw QueueCommandError.notQueued(id) }
                print("\(id) is released.")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a message from the queue without delivering it or telling its sender."
        )
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The queue id.") var id: String

        func run() async throws {
            let id = self.id
            try await storage.withQueue { queue in
                guard try await queue.envelope(id) != nil else { throw QueueCommandError.notQueued(id) }
                try await queue.remove(id)
                print("\(id) is deleted.")
            }
        }
    }
}

/// Mistakes with `correo queue`, worded for the operator.
enum QueueCommandError: Error, CustomStringConvertible {
    case notQueued(String)

    var description: String {
        switch self {
        case .notQueued(let id): "no message \(id) in the queue (see correo queue list)"
        }
    }
}
