/// The failed-login throttle shared with other sessions and protocols (ServerSupport's `AuthThrottle`), as
/// the session uses it: asked before a password is checked, told of every verdict.
///
/// The handler only runs the actions; what the throttle's answers mean on the wire is decided here.
extension IMAPSession {
    /// The BYE for an address that failed too often lately (RFC 3501 §7.1.5): the password is not checked.
    static let throttledBye = IMAPResponse.untagged(.condition(.bye, nil, "Too many failed logins; try later"))

    /// LOGIN or AUTHENTICATE has credentials to check.
    ///
    /// With a shared throttle, the client's address is cleared by it first (`Action.checkAuthThrottle`), so a refused address never has a password checked.
    mutating func verify(tag: String, username: String, password: String) -> [Action] {
        guard configuration.sharesAuthThrottle else {
            pending = .credentials(tag: tag, username: username)
            return [.verifyCredentials(username: username, password: password)]
        }
        pending = .authThrottle(tag: tag, username: username, password: password)
        return [.checkAuthThrottle(username: username)]
    }

    /// The answer to `Action.checkAuthThrottle`.
    ///
    /// Allowed: the credentials are checked next. Refused: `throttledBye` with no tagged answer, and the
    /// connection closes; nothing queued behind the login is acted on.
    public mutating func authThrottleChecked(allowed: Bool) -> [Action] {
        guard case .authThrottle(let tag, let username, let password) = pending else { return [] }
        guard allowed else { return loggedOut(with: Self.throttledBye) }
        pending = .credentials(tag: tag, username: username)
        return [.verifyCredentials(username: username, password: password)]
    }

    /// The answer to `Action.recordAuthenticationFailure`: `backOff`, the pause the address's failures over
    /// all sessions and protocols add, lengthens the session's own before the NO.
    public mutating func authenticationFailureRecorded(backOff: Duration) -> [Action] {
        guard case .failureRecord(let tag) = pending else { return [] }
        return loginFailed(tag: tag, backOff: backOff)
    }
}
