import SMTPClient
import SMTPCore

/// Open sessions to next hops, kept for a few seconds after a transaction so that the next message for
/// the same host and port goes over the same connection (no new TCP and TLS handshake, no new EHLO):
/// what Postfix's connection cache does for a burst of mail to one destination.
actor SessionCache {
    /// Sessions are shared only between identical set-ups: the same address, port, TLS and trust, and
    /// the same AUTH identity.
    struct Key: Hashable, Sendable {
        var address: String
        var port: Int
        var tls: SMTPClient.TLSMode
        var trust: SMTPClient.Trust
        var user: String?
        /// The name the certificate was verified for (a session checked for one MX name is not reused for
        /// another at the same address).
        var serverName: String? = nil
    }

    private struct Entry {
        var connection: SMTPConnection
        var uses: Int
        var idleSince: ContinuousClock.Instant
    }

    /// How long an unused session stays open (servers drop idle clients after minutes; 5 s is enough
    /// for a burst and keeps few sockets open).
    let idleLimit: Duration
    /// Transactions over one session before it is closed (Postfix's smtp_connection_reuse_count_limit
    /// idea: spread load, bound the damage of a misbehaving server).
    let usesLimit: Int
    private var idle: [Key: [Entry]] = [:]
    /// The time, injected so that a test decides when a session has idled too long.
    private let now: @Sendable () -> ContinuousClock.Instant

    init(
        idleLimit: Duration = .seconds(5),
        usesLimit: Int = 100,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.idleLimit = idleLimit
        self.usesLimit = usesLimit
        self.now = now
    }

    /// An open idle session for `key` and how often it was used, if one is kept.
    func take(_ key: Key) -> (connection: SMTPConnection, uses: Int)? {
        expire()
        while var entries = idle[key], !entries.isEmpty {
            let entry = entries.removeLast()
            idle[key] = entries.isEmpty ? nil : entries
            if entry.connection.isOpen { return (entry.connection, entry.uses) }
            Self.close(entry.connection)
        }
        return nil
    }

    /// Keeps `connection` for the next message, or closes it when it has served enough.
    func put(_ key: Key, _ connection: SMTPConnection, uses: Int) {
        expire()
        guard uses < usesLimit, connection.isOpen else { return Self.close(connection) }
        idle[key, default: []].append(Entry(connection: connection, uses: uses, idleSince: now()))
    }

    /// Closes every kept session (at shutdown).
    func closeAll() async {
        let all = idle.values.flatMap { $0 }.map(\.connection)
        idle = [:]
        for connection in all { await connection.close() }
    }

    /// Sessions kept now (for tests).
    var count: Int { idle.values.reduce(0) { $0 + $1.count } }

    /// Closes the sessions idle for longer than `idleLimit` (the runner calls it at every wake-up).
    func sweep() { expire() }

    private func expire() {
        let cutoff = now() - idleLimit
        for (key, entries) in idle {
            let (old, fresh) = (entries.filter { $0.idleSince < cutoff }, entries.filter { $0.idleSince >= cutoff })
            for entry in old { Self.close(entry.connection) }
            idle[key] = fresh.isEmpty ? nil : fresh
        }
    }

    /// QUIT off the actor: a slow server must not hold up the others.
    private static func close(_ connection: SMTPConnection) {
        Task { await connection.close() }
    }
}
