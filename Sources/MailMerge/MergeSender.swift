import Foundation
import Logging
import NIOCore
import SMTPClient
import SMTPCore

/// Where and how to send.
public struct SMTPServerSettings: Sendable {
    /// The submission server's host name or address.
    public var host: String
    /// The server's port: 587 for submission with STARTTLS, 465 for implicit TLS.
    public var port: Int
    /// Whether and how TLS is used: STARTTLS (required or opportunistic), implicit TLS, or none.
    public var tls: SMTPClient.TLSMode
    /// Which server certificates are accepted.
    public var trust: SMTPClient.Trust
    /// The user name and password for SMTP AUTH, when the server wants them.
    public var credentials: SMTPCredentials?
    /// Whether a password may go without TLS (`--tls none --user …`).
    public var allowsAuthenticationWithoutTLS: Bool

    /// Creates settings.
    public init(
        host: String,
        port: Int,
        tls: SMTPClient.TLSMode = .startTLS(.required),
        trust: SMTPClient.Trust = .system,
        credentials: SMTPCredentials? = nil,
        allowsAuthenticationWithoutTLS: Bool = false
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.trust = trust
        self.credentials = credentials
        self.allowsAuthenticationWithoutTLS = allowsAuthenticationWithoutTLS
    }
}

/// How fast and how hard to send.
public struct SendingPolicy: Sendable {
    /// Connections used at once.
    public var connections: Int = MailMergeDefaults.connections
    /// Most messages a minute, across all connections.
    public var ratePerMinute: Double?
    /// Tries for a message refused with 4yz, the first included.
    public var attempts: Int = MailMergeDefaults.attempts
    /// Wait before the first retry; doubled each time.
    public var firstRetryDelay: Duration = MailMergeDefaults.firstRetryDelay

    /// Default policy.
    public init() {}
}

/// The totals at the end of a run.
public struct MergeSummary: Sendable, Hashable {
    /// Messages the server accepted.
    public var sent = 0
    /// Messages refused for good or never sent because of an error.
    public var failed = 0
    /// Rows not sent because they are invalid, such as a row without a usable address.
    public var skipped = 0
    /// The row to give `--resume-from` when the run stopped early, nil when every row was done.
    public var resumeFrom: Int?
    /// Why the run stopped before the end when the server could not be used at all (connection, TLS or
    /// AUTH failed): going on would only fail every other row the same way.
    public var abortedBecause: SMTPClientError?
    /// Seconds the run took.
    public var seconds: Double = 0
}

/// A flag a signal handler sets to stop the run after the messages in flight.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    /// Makes a flag that no one has set yet.
    public init() {}

    /// Asks the run to stop.
    public func request() { lock.withLock { requested = true } }

    /// Whether a stop was asked.
    public var isRequested: Bool { lock.withLock { requested } }
}

/// Sends a plan's messages over a small pool of connections, retrying temporary failures, at an optional
/// rate, and reports each row's outcome as it happens.
public struct MergeSender: Sendable {
    /// The rows and their messages.
    public var plan: MergePlan
    /// The server to submit them to.
    public var server: SMTPServerSettings
    /// How many connections, how fast, and how many tries.
    public var policy: SendingPolicy
    /// Where each outcome and retry is logged (addresses, never message bodies).
    public var logger: Logger

    /// Creates a sender.
    public init(plan: MergePlan, server: SMTPServerSettings, policy: SendingPolicy, logger: Logger) {
        self.plan = plan
        self.server = server
        self.policy = policy
        self.logger = logger
    }

    /// Sends every row of the plan (until `stop` is requested) and returns the totals.
    public func run(
        stop: StopRequest = StopRequest(),
        onOutcome: @escaping @Sendable (RowOutcome) -> Void
    ) async -> MergeSummary {
        let started = ContinuousClock.now
        let rows = plan.rows
        let queue = RowQueue(rows: rows)
        let pacer = Pacer(ratePerMinute: policy.ratePerMinute)
        let workers = max(1, min(policy.connections, MailMergeDefaults.maximumConnections))
        // Each worker's own stop also stops the others when the server cannot be used.
        let abort = AbortRecord(stop: stop)
        let totals = await withTaskGroup(of: MergeSummary.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    await work(queue: queue, pacer: pacer, stop: stop, abort: abort, onOutcome: onOutcome)
                }
            }
            var summary = MergeSummary()
            for await part in group {
                summary.sent += part.sent
                summary.failed += part.failed
                summary.skipped += part.skipped
            }
            return summary
        }
        var summary = totals
        summary.resumeFrom = await queue.nextUntakenRow
        if let (row, error) = abort.first {
            summary.abortedBecause = error
            summary.resumeFrom = min(row, summary.resumeFrom ?? row)
        }
        let elapsed = ContinuousClock.now - started
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }

    /// One connection's loop: take a row, send it (reconnecting and retrying as needed), report, repeat.
    private func work(
        queue: RowQueue,
        pacer: Pacer,
        stop: StopRequest,
        abort: AbortRecord,
        onOutcome: @Sendable (RowOutcome) -> Void
    ) async -> MergeSummary {
        var summary = MergeSummary()
        var connection: SMTPConnection?
        while !stop.isRequested, let planned = await queue.next() {
            let outcome: RowOutcome
            switch planned {
            case .invalid(let row, let reason):
                outcome = RowOutcome(row: row.number, address: row.address, status: .skipped, reply: reason)
            case .message(let row):
                do {
                    let message = try plan.message(for: row)
                    await pacer.waitTurn()
                    let delivery = await deliver(message, connection: &connection)
                    if let sessionError = delivery.sessionError {
                        // The row was not tried: it is where a later run resumes, not a failure.
                        abort.record(row: row.number, error: sessionError)
                        continue
                    }
                    outcome = delivery.outcome
                } catch {
                    outcome = RowOutcome(row: row.number, address: row.address, status: .skipped, reply: error.reason)
                }
            }
            switch outcome.status {
            case .sent: summary.sent += 1
            case .failed: summary.failed += 1
            case .skipped: summary.skipped += 1
            }
            onOutcome(outcome)
        }
        if let open = connection {
            connection = nil
            await open.close()
        }
        return summary
    }

    /// Sends one message, reconnecting when needed.
    ///
    /// It retries 4yz replies and lost connections with back-off. When no session can be opened at all, it
    /// returns the error instead of an outcome.
    private func deliver(
        _ message: PreparedMessage,
        connection: inout SMTPConnection?
    ) async -> (outcome: RowOutcome, sessionError: SMTPClientError?) {
        var delay = policy.firstRetryDelay
        var lastError = SMTPClientError.connectionUnusable
        for attempt in 1...max(1, policy.attempts) {
            if attempt > 1 {
                try? await Task.sleep(for: delay)
                delay *= 2
            }
            do throws(SMTPClientError) {
                let open: SMTPConnection
                if let connection {
                    open = connection
                } else {
                    do {
                        open = try await connect()
                    } catch {
                        // A refused AUTH or TLS will not change on retry; a refused connection may.
                        if !error.isTransient || attempt == max(1, policy.attempts) {
                            return (
                                RowOutcome(
                                    row: message.row,
                                    address: message.address,
                                    status: .failed,
                                    reply: error.description
                                ), error
                            )
                        }
                        throw error
                    }
                    connection = open
                }
                let result = try await open.send(
                    from: message.sender,
                    recipients: message.recipients,
                    message: message.bytes
                )
                var reply = result.dataReply.description
                if !result.rejected.isEmpty {
                    let refused: [String] = result.rejected.map { "\($0.address) \($0.reply.description)" }
                    reply += " (refused: " + refused.joined(separator: "; ") + ")"
                }
                return (
                    RowOutcome(
                        row: message.row,
                        address: message.address,
                        status: .sent,
                        reply: reply,
                        messageID: message.messageID
                    ), nil
                )
            } catch {
                lastError = error
                if !error.leavesConnectionUsable, let open = connection {
                    connection = nil
                    await open.close()
                }
                logger.debug("row \(message.row): attempt \(attempt) failed: \(error)")
                guard error.isTransient else { break }
            }
        }
        let outcome = RowOutcome(
            row: message.row,
            address: message.address,
            status: .failed,
            reply: lastError.reply?.description ?? lastError.description,
            messageID: message.messageID
        )
        return (outcome, nil)
    }

    private func connect() async throws(SMTPClientError) -> SMTPConnection {
        var configuration = SMTPClient.Configuration()
        configuration.allowsAuthenticationWithoutTLS = server.allowsAuthenticationWithoutTLS
        return try await SMTPClient.connect(
            host: server.host,
            port: server.port,
            tls: server.tls,
            trust: server.trust,
            auth: server.credentials,
            configuration: configuration,
            logger: logger
        )
    }
}

/// The first session-level failure (connection, TLS, AUTH) of any worker; it stops the run.
final class AbortRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(row: Int, error: SMTPClientError)] = []
    private let stop: StopRequest

    init(stop: StopRequest) { self.stop = stop }

    func record(row: Int, error: SMTPClientError) {
        lock.withLock { entries.append((row, error)) }
        stop.request()
    }

    /// The earliest row that could not be tried, with the error.
    var first: (Int, SMTPClientError)? {
        lock.withLock { entries.min { $0.row < $1.row }.map { ($0.row, $0.error) } }
    }
}

/// Hands out rows in order and knows which row a stopped run should resume from.
actor RowQueue {
    private let rows: [PlannedRow]
    private var nextIndex = 0

    init(rows: [PlannedRow]) { self.rows = rows }

    func next() -> PlannedRow? {
        guard nextIndex < rows.count else { return nil }
        defer { nextIndex += 1 }
        return rows[nextIndex]
    }

    /// The first row not handed out, nil when all were.
    var nextUntakenRow: Int? { nextIndex < rows.count ? rows[nextIndex].number : nil }
}

/// Spaces messages out to a rate across all connections.
actor Pacer {
    private let interval: Duration?
    private var nextSlot = ContinuousClock.now

    init(ratePerMinute: Double?) {
        if let rate = ratePerMinute, rate > 0 {
            interval = .nanoseconds(Int64(60e9 / rate))
        } else {
            interval = nil
        }
    }

    func waitTurn() async {
        guard let interval else { return }
        let now = ContinuousClock.now
        let slot = max(now, nextSlot)
        nextSlot = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
