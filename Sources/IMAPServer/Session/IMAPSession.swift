import struct Foundation.Data

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
        /// Check the credentials and call `credentialsVerified(_:)`. Never log the password.
        case verifyCredentials(username: String, password: String)
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

    private enum Pending: Sendable, Equatable {
        case none
        case credentials(tag: String, username: String)
        case saslResponse(tag: String)
        case execution
        case idle(tag: String, user: String)
        case tlsHandshake
    }

    /// The state the session is in.
    public private(set) var state = State.notAuthenticated
    /// What the session may do, fixed when the connection was accepted.
    public let configuration: IMAPSessionConfiguration
    /// Whether the connection is encrypted (implicit TLS, or after STARTTLS).
    public private(set) var isTLS: Bool
    /// Whether the client enabled CONDSTORE, or used it (RFC 7162 §3.1).
    public private(set) var condStoreEnabled = false
    /// Failed logins in this session so far.
    public private(set) var failedLogins = 0
    private var consecutiveBadCommands = 0
    private var pending = Pending.none
    private var queued: [IMAPFramer.Event] = []
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
        case .credentials, .execution:
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

    /// The result of `Action.verifyCredentials`.
    ///
    /// A failure is answered after the session's own pause plus `backOff`, the shared throttle's pause for the client's
    /// address (`AuthThrottle.failed`).
    public mutating func credentialsVerified(_ ok: Bool, backOff: Duration = .zero) -> [Action] {
        guard case .credentials(let tag, let username) = pending else { return [] }
        pending = .none
        if ok {
            failedLogins = 0
            state = .authenticated(user: username)
            // Once logged in, the idle autologout replaces the login deadline.
            let rearm =
                autologout.isArmed ? autologoutActions(autologout.activity(now: clock.now(), authenticated: true)) : []
            return rearm + [.send([.ok(tag, .capability(capabilities), "Logged in")])] + drain()
        }
        failedLogins += 1
        let pause = Action.pause(
            milliseconds: configuration.failedLoginDelayMilliseconds * failedLogins + backOff.wholeMilliseconds
        )
        let no = IMAPResponse.no(tag, .authenticationFailed, "Authentication failed")
        if failedLogins >= configuration.maxFailedLogins {
            state = .logout
            queued.removeAll()
            return [pause, .send([no, .untagged(.condition(.bye, nil, "Too many failed logins"))]), .close]
        }
        return [pause, .send([no])] + drain()
    }

    /// The shared throttle (`AuthThrottle.check`) refused the client's address before its credentials
    /// were checked: RFC 3501 §7.1.5 BYE, and the connection closes.
    public mutating func loginRefusedByThrottle() -> [Action] {
        guard case .credentials = pending else { return [] }
        return loggedOut(with: .untagged(.condition(.bye, nil, "Too many failed logins; try later")))
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

    private mutating func bad(_ tag: String, _ reason: String, code: ResponseCode? = nil) -> [Action] {
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

    private mutating func notAuthenticated(_ tagged: TaggedCommand) -> [Action] {
        let tag = tagged.tag
        switch tagged.command {
        case .startTLS:
            guard configuration.startTLSAvailable, !isTLS else {
                return bad(tag, isTLS ? "TLS is already active" : "STARTTLS is not available")
            }
            pending = .tlsHandshake
            queued.removeAll()
            return [.send([.ok(tag, "Begin TLS negotiation now")]), .startTLS]
        case .login(let username, let password):
            if loginDisabled {
                return [.send([.no(tag, .privacyRequired, "LOGIN is disabled until STARTTLS")])]
            }
            pending = .credentials(tag: tag, username: username)
            return [.verifyCredentials(username: username, password: password)]
        case .authenticate(let mechanism, let initialResponse):
            guard mechanism == "PLAIN" else {
                return [.send([.no(tag, .cannot, "Unsupported authentication mechanism")])]
            }
            if loginDisabled {
                return [.send([.no(tag, .privacyRequired, "Authentication is disabled until STARTTLS")])]
            }
            guard let initialResponse else {
                pending = .saslResponse(tag: tag)
                return [.send([.continuation("")])]
            }
            return saslResponse(tag: tag, line: Array(initialResponse.utf8))
        default:
            return bad(tag, "\(tagged.command.name) not allowed before login", code: .clientBug)
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

    // RFC 4616: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    private mutating func saslResponse(tag: String, line: [UInt8]) -> [Action] {
        if line == [UInt8(ascii: "*")] { return [.send([.bad(tag, "Authentication canceled")])] }
        let decoded: [UInt8]
        if line == [UInt8(ascii: "=")] {
            decoded = []
        } else if let data = Data(base64Encoded: Data(line)) {
            decoded = Array(data)
        } else {
            return bad(tag, "Invalid base64 in authentication response")
        }
        let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return [.send([.no(tag, .authenticationFailed, "Malformed PLAIN response")])]
        }
        let authzid = String(decoding: parts[0], as: UTF8.self)
        let username = String(decoding: parts[1], as: UTF8.self)
        let password = String(decoding: parts[2], as: UTF8.self)
        guard authzid.isEmpty || authzid == username else {
            return [.send([.no(tag, .authenticationFailed, "Acting as another user is not allowed")])]
        }
        pending = .credentials(tag: tag, username: username)
        return [.verifyCredentials(username: username, password: password)]
    }

    /// Processes commands that arrived while the previous one was running.
    private mutating func drain() -> [Action] {
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
