import ServerSupport

extension IMAPChannelHandler {
    /// Connection-level defences the server shares between sessions or sets from the command line.
    public struct Defences: Sendable {
        /// Autologout before login, counted from the connection's start (not restarted by commands).
        public var loginTimeoutSeconds: Int
        /// Autologout once logged in, restarted by each command (RFC 3501 5.4).
        public var idleTimeoutSeconds: Int
        /// Failed logins per client address, shared with the other listeners; nil counts per session only.
        public var authThrottle: AuthThrottle?

        /// Defences with the given timeouts (by default `IMAPDefaults`') and throttle.
        public init(
            loginTimeoutSeconds: Int = IMAPDefaults.unauthenticatedTimeoutSeconds,
            idleTimeoutSeconds: Int = IMAPDefaults.idleTimeoutSeconds,
            authThrottle: AuthThrottle? = nil
        ) {
            self.loginTimeoutSeconds = loginTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.authThrottle = authThrottle
        }
    }
}
