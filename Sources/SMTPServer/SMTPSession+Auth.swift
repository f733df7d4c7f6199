import Foundation
import NIOCore
import SMTPCore

extension SMTPSession {
    /// RFC 4954 4: AUTH PLAIN (RFC 4616) and LOGIN, only when offered, once, outside a transaction.
    mutating func auth(mechanism: String, initialResponse: String?) {
        guard greeting?.extended == true else { return send(Reply.helloFirst) }
        guard authenticatedUser == nil else { return send(Reply.authAlready) }
        guard !inTransaction else { return send(Reply.authInTransaction) }
        guard authenticationOffered else { return send(Reply.authNeedsTLS) }
        switch mechanism {
        case "PLAIN":
            guard let initialResponse else {
                awaitResponse(.authPlainResponse)
                return send(SMTPReply(code: 334, nil, ""))
            }
            plainResponse(initialResponse)
        case "LOGIN":
            guard let initialResponse else {
                awaitResponse(.authLoginUsername)
                return send(SMTPReply(code: 334, nil, "VXNlcm5hbWU6"))
            }
            loginUsername(initialResponse)
        default:
            send(Reply.authUnknownMechanism)
        }
    }

    /// A response line during AUTH: base64, or `*` to cancel (RFC 4954 4).
    mutating func authenticationLine(_ frame: SMTPLineFramer.Frame) {
        let step = phase
        phase = .command
        framer.maximumLineLength = SMTPDefaults.textLineLength
        guard case .line(let line) = frame else { return send(Reply.authLineTooLong) }
        let text = String(decoding: line.readableBytesView, as: UTF8.self)
        if text == "*" { return send(Reply.authCancelled) }
        switch step {
        case .authPlainResponse: plainResponse(text)
        case .authLoginUsername: loginUsername(text)
        case .authLoginPassword(let username):
            guard let password = decodeBase64(text) else { return send(Reply.authMalformed) }
            verify(SMTPCredentials(username: username, password: String(decoding: password, as: UTF8.self)))
        default: break
        }
    }

    /// RFC 4954 4: SASL responses may be up to 12,288 octets, longer than a command line.
    mutating func awaitResponse(_ step: Phase) {
        phase = step
        framer.maximumLineLength = SMTPDefaults.authLineLength
    }

    /// RFC 4616 2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`; an authzid other than the
    /// authcid is refused.
    mutating func plainResponse(_ text: String) {
        guard let decoded = decodeBase64(text) else { return send(Reply.authMalformed) }
        let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, let authcid = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self), !authcid.isEmpty
        else { return send(Reply.authMalformed) }
        let authzid = String(decoding: parts[0], as: UTF8.self)
        guard authzid.isEmpty || authzid == authcid else {
            return authenticationFailed(username: authcid, backOff: .zero)
        }
        verify(SMTPCredentials(username: authcid, password: password))
    }

    mutating func loginUsername(_ text: String) {
        guard let decoded = decodeBase64(text), let username = String(validating: decoded, as: UTF8.self),
            !username.isEmpty
        else { return send(Reply.authMalformed) }
        awaitResponse(.authLoginPassword(username: username))
        send(SMTPReply(code: 334, nil, "UGFzc3dvcmQ6"))
    }

    /// With a shared throttle, the client's address is cleared by it first (RFC 4954 leaves the policy
    /// to the server: an address that failed too often lately gets `421 4.7.0`, its password unchecked).
    mutating func verify(_ credentials: SMTPCredentials) {
        guard configuration.sharesAuthThrottle else { return checkCredentials(credentials) }
        phase = .awaiting(.authenticationThrottle(credentials))
        perform(.checkAuthThrottle)
    }

    mutating func checkCredentials(_ credentials: SMTPCredentials) {
        phase = .awaiting(.authentication(username: credentials.username))
        perform(.authenticate(credentials))
    }

    /// A success is answered at once (and clears the address in the shared throttle); a failure is
    /// counted there first, for its back-off.
    mutating func authenticationChecked(username: String, success: Bool) {
        if success {
            if configuration.sharesAuthThrottle { perform(.recordAuthenticationSuccess) }
            return authenticationFinished(username: username, success: true)
        }
        guard configuration.sharesAuthThrottle else { return authenticationFailed(username: username, backOff: .zero) }
        phase = .awaiting(.authenticationFailureRecord(username: username))
        perform(.recordAuthenticationFailure)
    }

    /// A failure is answered after a pause that grows with the session's failures, plus `backOff` for
    /// the address's failures over all sessions (the shared throttle's), to slow down guessing.
    mutating func authenticationFailed(username: String, backOff: TimeAmount) {
        authenticationFailures += 1
        let pause = configuration.authenticationFailureDelay * Int64(authenticationFailures) + backOff
        guard pause > .zero else { return authenticationFinished(username: username, success: false) }
        phase = .awaiting(.failedAuthenticationPause(username: username))
        perform(.pause(pause))
    }

    /// RFC 4954 6: 235 or 535 5.7.8; too many failures close the session.
    mutating func authenticationFinished(username: String, success: Bool) {
        if success {
            authenticatedUser = username
            return send(Reply.authSucceeded)
        }
        send(Reply.authFailed, countsAsError: false)
        if authenticationFailures >= configuration.maximumAuthenticationFailures {
            closeWith(Reply.authTooManyFailures)
        }
    }

    /// RFC 4954 4: `=` is an empty response.
    func decodeBase64(_ text: String) -> [UInt8]? {
        if text == "=" { return [] }
        return Data(base64Encoded: text).map { Array($0) }
    }
}
