import Foundation
import SMTPCore
import Synchronization

/// The faults a server plays, shared by all its sessions: the counts of `times=` and the senders'
/// token buckets live here, so "the first two times" spans connections and a sender's retry succeeds.
///
/// The list can be replaced while the server runs (the developer API does); counts start afresh then.
public final class SMTPFaultScript: Sendable {
    /// What a session does about one command.
    public enum Decision: Sendable, Hashable {
        /// Send this reply instead of handling the command (a 421 closes the connection).
        case reply(SMTPReply)
        /// Wait this long, then handle the command.
        case delay(milliseconds: Int)
        /// Handle the command; cut the message off after this many octets.
        case closeAfter(octets: Int)
    }

    /// The command being decided, with the addresses it may be matched on.
    public struct Command: Sendable, Hashable {
        /// The verb, upper-case.
        public var verb: String
        /// The MAIL FROM address of the transaction (for MAIL, the one given), "" for `<>`.
        public var sender: String?
        /// The addresses that `to=` may match: for RCPT the one given, later the accepted ones.
        public var recipients: [String]

        /// A command to decide on.
        public init(verb: String, sender: String?, recipients: [String]) {
            self.verb = verb.uppercased()
            self.sender = sender
            self.recipients = recipients
        }
    }

    private struct State {
        var faults: [SMTPFault]
        /// How many times each fault has applied.
        var applied: [Int]
        /// Per fault (for `rate=`) and sender: tokens left and when they were counted.
        var buckets: [Int: [String: (tokens: Double, at: Date)]] = [:]
    }

    private let state: Mutex<State>

    /// A script playing `faults` in order: the first that matches a command decides it.
    public init(_ faults: [SMTPFault] = []) {
        state = Mutex(State(faults: faults, applied: Array(repeating: 0, count: faults.count)))
    }

    /// The faults, in order.
    public var faults: [SMTPFault] { state.withLock { $0.faults } }

    /// Replaces the faults; every count and bucket starts afresh.
    public func replace(with faults: [SMTPFault]) {
        state.withLock { $0 = State(faults: faults, applied: Array(repeating: 0, count: faults.count)) }
    }

    /// What to do about `command` at `now`; nil handles it as usual.
    ///
    /// The first fault that matches and still applies decides; a `rate=` fault decides only when the
    /// sender's bucket is empty (the message is counted either way).
    public func decide(_ command: Command, at now: Date) -> Decision? {
        state.withLock { state in
            for index in state.faults.indices {
                let fault = state.faults[index]
                guard Self.matches(fault, command) else { continue }
                if let times = fault.times, state.applied[index] >= times { continue }
                switch fault.effect {
                case .rate(let perMinute):
                    let sender = (command.sender ?? "").lowercased()
                    var bucket = state.buckets[index, default: [:]][sender] ?? (Double(perMinute), now)
                    let elapsed = max(0, now.timeIntervalSince(bucket.at))
                    bucket.tokens = min(Double(perMinute), bucket.tokens + elapsed * Double(perMinute) / 60)
                    bucket.at = now
                    let empty = bucket.tokens < 1
                    if !empty { bucket.tokens -= 1 }
                    state.buckets[index, default: [:]][sender] = bucket
                    guard empty else { continue }
                    state.applied[index] += 1
                    return .reply(
                        SMTPReply(
                            code: 421,
                            EnhancedStatusCode(4, 7, 0),
                            "Too many messages from \(sender.isEmpty ? "<>" : sender): \(perMinute) a minute (correo --dev fault)"
                        )
                    )
                case .reply(let reply):
                    state.applied[index] += 1
                    return .reply(reply)
                case .delay(let milliseconds):
                    state.applied[index] += 1
                    return .delay(milliseconds: milliseconds)
                case .closeAfter(let octets):
                    state.applied[index] += 1
                    return .closeAfter(octets: octets)
                }
            }
            return nil
        }
    }

    static func matches(_ fault: SMTPFault, _ command: Command) -> Bool {
        guard fault.command == "*" || fault.command == command.verb else { return false }
        if let from = fault.from, !Glob.matches(from, command.sender ?? "") { return false }
        if let to = fault.to, !command.recipients.contains(where: { Glob.matches(to, $0) }) { return false }
        return true
    }
}

/// `*` for any run of characters, case-insensitive: the address patterns of faults (and of the
/// developer's release allow-list).
public enum Glob {
    /// Whether `text` matches `pattern`, where `*` stands for any run of characters (none included).
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern.lowercased().utf8)
        let text = Array(text.lowercased().utf8)
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
