import struct Foundation.Data

/// Logging in (RFC 3501 §6.2): STARTTLS, LOGIN and AUTHENTICATE PLAIN before authentication, the
/// credentials' verdict with its failed-login pause.
extension IMAPSession {
    /// The result of `Action.verifyCredentials`.
    ///
    /// A success is answered at once (and clears the address in the shared throttle); a failure is counted
    /// there first, for its back-off (`authenticationFailureRecorded(backOff:)`).
    public mutating func credentialsVerified(_ ok: Bool) -> [Action] {
        guard case .credentials(let tag, let username) = pending else { return [] }
        pending = .none
        if ok {
            failedLogins = 0
            state = .authenticated(user: username)
            let record: [Action] = configuration.sharesAuthThrottle ? [.recordAuthenticationSuccess] : []
            // Once logged in, the idle autologout replaces the login deadline.
            let rearm =
                autologout.isArmed ? autologoutActions(autologout.activity(now: clock.now(), authenticated: true)) : []
            return record + rearm + [.send([.ok(tag, .capability(capabilities), "Logged in")])] + drain()
        }
        guard configuration.sharesAuthThrottle else { return loginFailed(tag: tag, backOff: .zero) }
        pending = .failureRecord(tag: tag)
        return [.recordAuthenticationFailure]
    }

    /// The users' store could not be asked (a database that is down): RFC 5530 `[UNAVAILABLE]`, not a
    /// failed login, so neither the session's count nor the shared throttle holds it against the client,
    /// whose password may well be right.
    public mutating func credentialsUnavailable() -> [Action] {
        guard case .credentials(let tag, _) = pending else { return [] }
        pending = .none
        return [.send([.no(tag, .unavailable, "The user database is unavailable; try again later")])] + drain()
    }

    /// A failed login is answered after a pause that grows with the session's failures, plus `backOff`
    /// for the address's failures over all sessions (the shared throttle's), to slow down guessing.
    mutating func loginFailed(tag: String, backOff: Duration) -> [Action] {
        pending = .none
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

    mutating func notAuthenticated(_ tagged: TaggedCommand) -> [Action] {
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
            return verify(tag: tag, username: username, password: password)
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

    // RFC 4616: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    mutating func saslResponse(tag: String, line: [UInt8]) -> [Action] {
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
        return verify(tag: tag, username: username, password: password)
    }
}
