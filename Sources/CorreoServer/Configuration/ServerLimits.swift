import IMAPServer
import NIOCore
import SMTPCore
import SMTPServer
import ServerSupport

/// The defences against hostile clients that an operator (or a stress test) may tune.
///
/// Connection caps, timeouts and the failed-login throttle. The defaults are the servers' own (`SMTPServerDefaults`,
/// `IMAPDefaults`, `AuthThrottleDefaults`).
public struct ServerLimits: Sendable, Equatable {
    /// Connections at once per protocol (SMTP listeners together, IMAP listeners together).
    public var maximumConnections: Int
    /// Connections at once from one client address, per protocol.
    public var maximumConnectionsPerAddress: Int
    /// SMTP: how long the server waits for a whole command or data line (RFC 5321 4.5.3.2.7 asks for
    /// at least 5 minutes; shorter is for tests).
    public var commandTimeoutSeconds: Int
    /// IMAP: how long a connection may stay without logging in, from its start.
    public var loginTimeoutSeconds: Int
    /// Added to the pause before a failed login's answer for each failure from the same address.
    public var authFailureDelayMilliseconds: Int
    /// Failures from one address (SMTP AUTH and IMAP LOGIN together) before its attempts are refused.
    public var authFailuresBeforeBlock: Int
    /// SMTP: the largest message accepted, in octets, advertised with SIZE (RFC 1870).
    public var maximumMessageSize: Int
    /// SMTP: recipients per message; more get `452 4.5.3`.
    public var maximumRecipients: Int

    /// Limits; each defaults to the servers' own default.
    public init(
        maximumConnections: Int = SMTPServerDefaults.connections,
        maximumConnectionsPerAddress: Int = SMTPServerDefaults.connectionsPerAddress,
        commandTimeoutSeconds: Int = Int(SMTPServerDefaults.idleTimeout.nanoseconds / 1_000_000_000),
        loginTimeoutSeconds: Int = IMAPDefaults.unauthenticatedTimeoutSeconds,
        authFailureDelayMilliseconds: Int = Int(AuthThrottleDefaults.delayPerFailure.components.seconds * 1000),
        authFailuresBeforeBlock: Int = AuthThrottleDefaults.failuresBeforeBlock,
        maximumMessageSize: Int = SMTPDefaults.messageSize,
        maximumRecipients: Int = SMTPDefaults.recipients
    ) {
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.loginTimeoutSeconds = loginTimeoutSeconds
        self.authFailureDelayMilliseconds = authFailureDelayMilliseconds
        self.authFailuresBeforeBlock = authFailuresBeforeBlock
    }

    /// Every value must be at least 1 (a delay may be 0); the name of the first that is not.
    public var invalidSetting: String? {
        let positive: [(String, Int)] = [
            ("max-connections", maximumConnections), ("max-connections-per-address", maximumConnectionsPerAddress),
            ("command-timeout", commandTimeoutSeconds), ("login-timeout", loginTimeoutSeconds),
            ("auth-failures-before-block", authFailuresBeforeBlock), ("max-message-size", maximumMessageSize),
            ("max-recipients", maximumRecipients),
        ]
        if let (name, _) = positive.first(where: { $0.1 < 1 }) { return name }
        return authFailureDelayMilliseconds < 0 ? "auth-failure-delay-ms" : nil
    }

    /// The failed-login throttle these limits describe, to share between the SMTP and IMAP servers.
    public func makeAuthThrottle() -> AuthThrottle {
        let perFailure = Duration.milliseconds(authFailureDelayMilliseconds)
        return AuthThrottle(
            policy: AuthThrottle.Policy(
                delayPerFailure: perFailure,
                maximumDelay: min(AuthThrottleDefaults.maximumDelay, perFailure * authFailuresBeforeBlock),
                failuresBeforeBlock: authFailuresBeforeBlock
            )
        )
    }
}
