/// What a session may do, fixed when the connection is accepted.
public struct IMAPSessionConfiguration: Sendable, Equatable {
    /// Whether the connection is already encrypted (the implicit-TLS port).
    public var isTLS: Bool
    /// Whether STARTTLS can be offered (a TLS context exists and the connection is not yet encrypted).
    public var startTLSAvailable: Bool
    /// Allow LOGIN and AUTHENTICATE PLAIN without TLS (`--allow-plaintext-auth`).
    public var allowPlaintextAuth: Bool
    /// Advertise CONDSTORE (the store keeps modification sequences).
    public var condStore: Bool
    /// The APPENDLIMIT (RFC 7889), in octets.
    public var appendLimit: Int
    /// Failed logins in one session before `* BYE`.
    public var maxFailedLogins: Int
    /// The pause before answering a failed login, in milliseconds, times the failures so far.
    public var failedLoginDelayMilliseconds: Int
    /// The name shown in the greeting.
    public var serverName: String
    /// Whether a failed-login throttle shared with other sessions and protocols keeps count.
    ///
    /// With one (ServerSupport's `AuthThrottle`), the session asks it before checking a password
    /// (`IMAPSession.Action.checkAuthThrottle`) and reports each verdict (`.recordAuthenticationSuccess`,
    /// `.recordAuthenticationFailure`). Without one, failures count in this session only.
    public var sharesAuthThrottle = false

    /// A configuration; every limit defaults to `IMAPDefaults`.
    public init(
        isTLS: Bool = false,
        startTLSAvailable: Bool = false,
        allowPlaintextAuth: Bool = false,
        condStore: Bool = true,
        appendLimit: Int = IMAPDefaults.appendLimit,
        maxFailedLogins: Int = IMAPDefaults.maxFailedLogins,
        failedLoginDelayMilliseconds: Int = IMAPDefaults.failedLoginDelayMilliseconds,
        serverName: String = "correo"
    ) {
        self.isTLS = isTLS
        self.startTLSAvailable = startTLSAvailable
        self.allowPlaintextAuth = allowPlaintextAuth
        self.condStore = condStore
        self.appendLimit = appendLimit
        self.maxFailedLogins = maxFailedLogins
        self.failedLoginDelayMilliseconds = failedLoginDelayMilliseconds
        self.serverName = serverName
    }
}

/// A mailbox command handed to the executor, with what it needs from the session.
public struct ExecutionRequest: Sendable, Equatable {
    /// The command's tag.
    public var tag: String
    /// The mailbox command to run.
    public var command: IMAPCommand
    /// The logged-in user the command runs for.
    public var user: String
    /// Whether the client enabled or used CONDSTORE (RFC 7162 §3.1: MODSEQ in FETCH responses).
    public var condStore: Bool
    /// The file holding a streamed APPEND literal, filled in by the handler.
    public var streamedLiteral: StreamedLiteralReference?

    /// A request for `command`, without a streamed literal.
    public init(tag: String, command: IMAPCommand, user: String, condStore: Bool) {
        self.tag = tag
        self.command = command
        self.user = user
        self.condStore = condStore
    }
}

/// What the executor reports back: the responses to send (tagged completion last) and whether the
/// selected mailbox changed.
public struct CommandOutcome: Sendable, Equatable {
    /// Whether the command changed the selected mailbox.
    public enum Selection: Sendable, Equatable {
        case unchanged
        case selected(IMAPMailboxName, readOnly: Bool)
        case deselected
    }
    /// The responses, the tagged completion last.
    public var responses: [IMAPResponse]
    /// Whether a mailbox was selected, or the selection ended.
    public var selection: Selection

    /// An outcome that leaves the selection as it was unless `selection` says otherwise.
    public init(responses: [IMAPResponse], selection: Selection = .unchanged) {
        self.responses = responses
        self.selection = selection
    }
}
