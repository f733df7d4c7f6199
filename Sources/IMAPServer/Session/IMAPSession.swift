/// The IMAP session state machine (RFC 3501 §3): a value with no I/O.
///
/// Framed input and the results of asynchronous work come in; actions for the handler come out.
///
/// The machine owns the protocol rules — which command is allowed in which state, TLS and
/// authentication, IDLE, ordering, limits — and hands every mailbox operation to the executor as
/// `Action.execute`. While one is running, later commands wait in order (a client may pipeline);
/// the executor's `CommandOutcome` comes back through `completed(_:)`.
public struct IMAPSession: Sendable {
    /// The connection's state (RFC 3501 §3).
    public enum State: Sendable, Equatable {
        case notAuthenticated
        case authenticated(user: String)
        case selected(user: String, mailbox: IMAPMailboxName, readOnly: Bool)
        case logout
    }

    /// What the handler does next.
    public enum Action: Sendable, Equatable {
        case send([IMAPResponse])
        /// Wait before doing the following actions (failed-login slowdown).
        case pause(milliseconds: Int)
        /// The OK to STARTTLS has been sent: add TLS to the pipeline and drop any buffered plaintext.
        case startTLS
        /// Ask the failed-login throttle shared with other sessions (`AuthThrottle.check`) about the
        /// client's address before `username`'s password is checked; call `authThrottleChecked(allowed:)`.
        case checkAuthThrottle(username: String)
        /// Check the credentials and call `credentialsVerified(_:)`. Never log the password.
        case verifyCredentials(username: String, password: String)
        /// Tell the shared throttle that the client's address logged in (`AuthThrottle.succeeded`); no answer.
        case recordAuthenticationSuccess
        /// Count a failed login against the client's address in the shared throttle (`AuthThrottle.failed`)
        /// and call `authenticationFailureRecorded(backOff:)` with the pause it returns.
        case recordAuthenticationFailure
        /// Run a mailbox command and call `completed(_:)` with its outcome.
        case execute(ExecutionRequest)
        /// Start sending untagged updates as the selected mailbox changes (IDLE, RFC 2177).
        case startIdle
        /// Stop the IDLE updates.
        case stopIdle
        /// Arm the connection's one autologout timer for this uptime (nanoseconds of the session's
        /// clock) and call `autologoutTimerFired()` when it runs out.
        case armAutologout(deadline: UInt64)
        case close
    }

    /// What the session waits for before it acts on the next command.
    enum Pending: Sendable, Equatable {
        case none
        /// The shared throttle is asked about the client's address before these credentials are checked.
        case authThrottle(tag: String, username: String, password: String)
        case credentials(tag: String, username: String)
        /// A failed login waits for the shared throttle's back-off before its NO.
        case failureRecord(tag: String)
        case saslResponse(tag: String)
        case execution
        case idle(tag: String, user: String)
        case tlsHandshake
    }

    /// The state the session is in.
    public internal(set) var state = State.notAuthenticated
    /// What the session may do, fixed when the connection was accepted.
    public let configuration: IMAPSessionConfiguration
    /// Whether the connection is encrypted (implicit TLS, or after STARTTLS).
    public private(set) var isTLS: Bool
    /// Whether the client enabled CONDSTORE, or used it (RFC 7162 §3.1).
    public private(set) var condStoreEnabled = false
    /// Failed logins in this session so far.
    public internal(set) var failedLogins = 0
    private var consecutiveBadCommands = 0
    var pending = Pending.none
    var queued: [IMAPFramer.Event] = []
    /// Where the session reads the time for its connection policy; tests pass a virtual clock.
    public internal(set) var clock: IMAPClock
    /// The RFC 3501 §5.4 autologout rules; started by `connectionOpened()`.
    var autologout: AutologoutTimer
    /// The command rate, back-pressure and flood rules of the connection.
    var pacing: CommandPacing

    /// A session before its greeting, with `IMAPDefaults`' autologout unless `autologout` says otherwise.
    public init(
        configuration: IMAPSessionConfiguration,
        autologout: AutologoutTimer = AutologoutTimer(
            loginTimeoutSeconds: IMAPDefaults.unauthenticatedTimeoutSeconds,
            idleTimeoutSeconds: IMAPDefaults.idleTimeoutSeconds
        ),
        clock: IMAPClock = .system
    ) {
        self.configuration = configuration
        self.isTLS = configuration.isTLS
        self.clock = clock
        self.autologout = autologout
        self.pacing = .imapDefault(now: clock.now())
    }

    /// Whether LOGIN and AUTHENTICATE are refused until STARTTLS (RFC 3501 §6.2.3 LOGINDISABLED).
    public var loginDisabled: Bool { !isTLS && !configuration.allowPlaintextAuth }

    /// The capabilities for the current state (RFC 3501 §7.2.1).
    public var capabilities: [String] {
        var list = [
            "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE",
            "UNSELECT", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH",
        ]
        if configuration.condStore { list.append("CONDSTORE") }
        list.append("APPENDLIMIT=\(configuration.appendLimit)")
        if state == .notAuthenticated {
            if configuration.startTLSAvailable && !isTLS { list.append("STARTTLS") }
            list.append(loginDisabled ? "LOGINDISABLED" : "AUTH=PLAIN")
        }
        return list
    }

    /// The greeting sent when the connection opens (RFC 3501 §7.1.1).
    public var greeting: IMAPResponse {
        .untagged(.condition(.ok, .capability(capabilities), "\(configuration.serverName) IMAP ready"))
    }

    // MARK: - Input

    /// Input from the framer.
    public mutating func received(_ event: IMAPFramer.Event) -> [Action] {
        switch pending {
        case .tlsHandshake:
            return []  // plaintext pipelined after STARTTLS is never acted on
        case .saslResponse(let tag):
            guard case .command(let line) = event else { return handleFramed(event) }
            pending = .none
            return saslResponse(tag: tag, line: line)
        case .idle(let tag, let user):
            guard case .command(let line) = event else { return [] }
            pending = .execution
            let done = String(decoding: line, as: UTF8.self).uppercased() == "DONE"
            if !done { return [.stopIdle, .send([.bad(tag, "Expected DONE")])] + finish() }
            return [.stopIdle, .execute(request(tag, .idle, user: user))]
        case .authThrottle, .credentials, .failureRecord, .execution:
            queued.append(event)
            return []
        case .none:
            if state == .logout { return [] }
            return handleFramed(event)
        }
    }

    /// The TLS handshake after STARTTLS completed: the session starts over with a clean slate
    /// (RFC 3501 §6.2.1 — the client must ask for CAPABILITY again).
    public mutating func tlsEstablished() -> [Action] {
        isTLS = true
        pending = .none
        queued.removeAll()
        return []
    }

    /// The server ends the session: this untagged BYE (RFC 3501 §7.1.5), then the connection closes;
    /// nothing queued is acted on.
    mutating func loggedOut(with bye: IMAPResponse) -> [Action] {
        state = .logout
        pending = .none
        queued.removeAll()
        return [.send([bye]), .close]
    }

    /// The result of `Action.execute`.
    public mutating func completed(_ outcome: CommandOutcome) -> [Action] {
        guard pending == .execution else { return [] }
        pending = .none
        switch (outcome.selection, state) {
        case (.selected(let name, let readOnly), .authenticated(let user)),
            (.selected(let name, let readOnly), .selected(let user, _, _)):
            state = .selected(user: user, mailbox: name, readOnly: readOnly)
        case (.deselected, .selected(let user, _, _)):
            state = .authenticated(user: user)
        default:
            break
        }
        return [.send(outcome.responses)] + drain()
    }

    // MARK: - Dispatch

    private mutating func handleFramed(_ event: IMAPFramer.Event) -> [Action] {
        switch event {
        case .continuationRequest:
            return [.send([.continuation("Ready for literal")])]
        case .streamedLiteralChunk, .streamedLiteralEnd:
            return []  // the handler stores these; the command that follows refers to them
        case .error(let tag, let error):
            let response: IMAPResponse
            switch error {
            case .messageTooLarge:
                response = .no(tag ?? "*", .tooBig, "Message larger than APPENDLIMIT \(configuration.appendLimit)")
            case .lineTooLong: response = .bad(tag ?? "*", "Command line too long")
            case .literalTooLarge: response = .bad(tag ?? "*", "Literal too large")
            case .commandTooLarge: response = .bad(tag ?? "*", "Command too large")
            }
            return [.send([response])]
        case .command(let bytes):
            switch IMAPCommandParser.parse(bytes) {
            case .bad(let tag, let reason):
                return bad(tag ?? "*", reason)
            case .command(let tagged):
                consecutiveBadCommands = 0
                return dispatch(tagged)
            }
        }
    }

    mutating func bad(_ tag: String, _ reason: String, code: ResponseCode? = nil) -> [Action] {
        consecutiveBadCommands += 1
        if consecutiveBadCommands >= IMAPDefaults.maxConsecutiveBadCommands {
            state = .logout
            return [
                .send([.bad(tag, code, reason), .untagged(.condition(.bye, nil, "Too many bad commands"))]), .close,
            ]
        }
        return [.send([.bad(tag, code, reason)])]
    }

    private func request(_ tag: String, _ command: IMAPCommand, user: String) -> ExecutionRequest {
        ExecutionRequest(tag: tag, command: command, user: user, condStore: condStoreEnabled)
    }

    private mutating func dispatch(_ tagged: TaggedCommand) -> [Action] {
        let tag = tagged.tag
        switch tagged.command {
        case .capability:
            return [.send([.untagged(.capability(capabilities)), .ok(tag, "CAPABILITY completed")])]
        case .logout:
            state = .logout
            return [.send([.untagged(.condition(.bye, nil, "Logging out")), .ok(tag, "LOGOUT completed")]), .close]
        case .id:
            // RFC 2971 §3.1: the server answers with its own identification.
            return [.send([.untagged(.id([IDParameter(key: "name", value: "correo")])), .ok(tag, "ID completed")])]
        case .noop:
            if case .selected(let user, _, _) = state { return execute(tag, .noop, user: user) }
            return [.send([.ok(tag, "NOOP completed")])]
        default:
            break
        }
        switch state {
        case .notAuthenticated:
            return notAuthenticated(tagged)
        case .authenticated(let user), .selected(let user, _, _):
            return authenticated(tagged, user: user)
        case .logout:
            return []
        }
    }

    private mutating func authenticated(_ tagged: TaggedCommand, user: String) -> [Action] {
        let tag = tagged.tag
        let isSelected: Bool
        if case .selected = state { isSelected = true } else { isSelected = false }
        switch tagged.command {
        case .startTLS, .login, .authenticate:
            return bad(tag, "Already authenticated", code: .clientBug)
        case .enable(let capabilities):
            // RFC 5161: unknown capabilities are ignored; only those actually enabled are listed.
            var enabled: [String] = []
            if configuration.condStore, capabilities.contains("CONDSTORE"), !condStoreEnabled {
                condStoreEnabled = true
                enabled.append("CONDSTORE")
            }
            return [.send([.untagged(.enabled(enabled)), .ok(tag, "ENABLE completed")])]
        case .namespace:
            return [
                .send([
                    .untagged(
                        .namespace(
                            personalPrefix: "",
                            delimiter: "/",
                            shared: [SharedNamespace(prefix: NewsNamespace.prefix, delimiter: NewsNamespace.delimiter)]
                        )
                    ),
                    .ok(tag, "NAMESPACE completed"),
                ])
            ]
        case .idle:
            pending = .idle(tag: tag, user: user)
            return [.send([.continuation("idling")]), .startIdle]
        case .select(_, let condStore), .examine(_, let condStore):
            if condStore && configuration.condStore { condStoreEnabled = true }
            return execute(tag, tagged.command, user: user)
        case .fetch(_, let attributes, let changedSince, _):
            guard isSelected else { return bad(tag, "No mailbox selected") }
            if configuration.condStore, changedSince != nil || attributes.contains(.modSeq) { condStoreEnabled = true }
            return execute(tag, tagged.command, user: user)
        case .search(let search, _):
            guard isSelected else { return bad(tag, "No mailbox selected") }
            if configuration.condStore, search.key.usesModSeq { condStoreEnabled = true }
            return execute(tag, tagged.command, user: user)
        case .store(_, let store, _):
            guard isSelected else { return bad(tag, "No mailbox selected") }
            if configuration.condStore, store.unchangedSince != nil { condStoreEnabled = true }
            return execute(tag, tagged.command, user: user)
        case .check, .close, .unselect, .expunge, .uidExpunge, .copy, .move:
            guard isSelected else { return bad(tag, "No mailbox selected") }
            return execute(tag, tagged.command, user: user)
        default:
            return execute(tag, tagged.command, user: user)
        }
    }

    private mutating func execute(_ tag: String, _ command: IMAPCommand, user: String) -> [Action] {
        pending = .execution
        return [.execute(request(tag, command, user: user))]
    }

    /// Processes commands that arrived while the previous one was running.
    mutating func drain() -> [Action] {
        var actions: [Action] = []
        while pending == .none, state != .logout, !queued.isEmpty {
            let event = queued.removeFirst()
            actions += received(event)
        }
        return actions
    }

    private mutating func finish() -> [Action] {
        pending = .none
        return drain()
    }
}
