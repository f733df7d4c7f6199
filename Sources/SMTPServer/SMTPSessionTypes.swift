import NIOCore
import SMTPCore

/// How storing a message ended.
public enum SMTPStoreOutcome: Hashable, Sendable {
    /// Durably in every recipient's mailbox.
    case delivered
    /// Durably in the outbound queue under this id (named in the `250`, so that client and operator
    /// speak of the same message: `correo queue show ID`).
    case queued(id: String)
    /// Something went wrong that may pass: `451 4.3.0`.
    case temporaryFailure
    /// The disk is full: `452 4.3.1`.
    case insufficientStorage
    /// Refused for good by the receiver's policy (DMARC `p=reject`): `550 5.7.1` with this reason.
    case refused(String)
}

extension SMTPSession {
    /// What happens to a session.
    public enum Event: Hashable, Sendable {
        /// The connection is open (for implicit TLS: it is open, the handshake may still run).
        case connected
        /// Octets from the client.
        case bytes(ByteBuffer)
        /// The answer to `.lookUpRecipient`: the mailbox mail is delivered to, or nil if none.
        case recipientLookedUp(String?)
        /// The answer to `.lookUpRecipient` when the users' store could not be asked (a database that is
        /// down): `451 4.3.0`, so that the sender tries again, never a `550` that would bounce the mail.
        case recipientLookupUnavailable
        /// The answer to `.authenticate`: whether the credentials are right.
        case authenticated(Bool)
        /// The answer to `.authenticate` when the users' store could not be asked (a database that is
        /// down): `454 4.7.0` (RFC 4954 6), not a wrong password.
        case authenticationUnavailable
        /// The answer to `.checkAuthThrottle` when the address may try: the credentials are checked next.
        case authenticationAllowed
        /// The answer to `.checkAuthThrottle` when the address has failed too often lately: the password
        /// is not checked, and the session ends with `421 4.7.0`.
        case authenticationThrottled
        /// The answer to `.recordAuthenticationFailure`: the pause the address's failures over all
        /// sessions and protocols add before the `535` (`AuthThrottle.failed`).
        case authenticationFailureRecorded(backOff: TimeAmount)
        /// The pause asked for by `.pause` is over.
        case pauseElapsed
        /// The answer to `.deliverMessage`.
        case messageStored(SMTPStoreOutcome)
        /// The server is shutting down: close when no transaction is under way.
        case shutdownRequested
        /// The client was silent too long (RFC 5321 4.5.3.2.7).
        case timedOut
    }

    /// What the handler must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send this reply (the handler flushes once per read burst).
        case reply(SMTPReply)
        /// Add TLS in front of the pipeline now: the 220 for STARTTLS was the last plaintext reply.
        case startTLS
        /// Find the mailbox for this address (`local@domain`, domain lower-cased); answer `.recipientLookedUp`.
        case lookUpRecipient(String)
        /// Ask the failed-login throttle shared with other sessions (`AuthThrottle.check`) about the
        /// client's address; answer `.authenticationAllowed` or `.authenticationThrottled`.
        case checkAuthThrottle
        /// Check these credentials; answer `.authenticated`.
        case authenticate(SMTPCredentials)
        /// Tell the shared throttle that the client's address logged in (`AuthThrottle.succeeded`); no answer.
        case recordAuthenticationSuccess
        /// Count a failed login against the client's address in the shared throttle (`AuthThrottle.failed`);
        /// answer `.authenticationFailureRecorded`.
        case recordAuthenticationFailure
        /// Wait this long, then answer `.pauseElapsed` (input stays buffered meanwhile).
        case pause(TimeAmount)
        /// Open a new message in the store.
        case beginMessage
        /// Append these octets to the open message.
        case messageData(ByteBuffer)
        /// Make the open message durable in these mailboxes — or, with an envelope, in the outbound queue
        /// for all of its recipients (some at other domains, or a DSN asked for); answer `.messageStored`.
        /// `origin` says who handed it over, for the checks of the sender made at delivery.
        case deliverMessage(recipients: [String], envelope: SMTPEnvelope? = nil, origin: SMTPMessageOrigin)
        /// Throw the open message away.
        case abortMessage
        /// Close the connection once the replies before are written.
        case close
    }
}

/// The replies a session sends, each with its enhanced status code (RFC 3463).
enum Reply {
    static func make(_ code: Int, _ enhanced: (Int, Int, Int)?, _ text: String) -> SMTPReply {
        SMTPReply(code: code, enhanced.map { EnhancedStatusCode($0.0, $0.1, $0.2) }, text)
    }

    static let ok = make(250, (2, 0, 0), "OK")
    static let senderOK = make(250, (2, 1, 0), "Sender OK")
    static let recipientOK = make(250, (2, 1, 5), "Recipient OK")
    static let startMailInput = make(354, nil, "Start mail input; end with <CRLF>.<CRLF>")
    static let badSequence = make(503, (5, 5, 1), "Bad sequence of commands")
    static let helloFirst = make(503, (5, 5, 1), "Send EHLO or HELO first")
    static let mailFirst = make(503, (5, 5, 1), "Send MAIL FROM first")
    static let nestedMail = make(503, (5, 5, 1), "Sender already given; send RSET to start again")
    static let noValidRecipients = make(554, (5, 5, 1), "No valid recipients")
    static let lineTooLong = make(500, (5, 5, 2), "Line too long")
    static let dataLineTooLong = make(500, (5, 5, 6), "Message refused: a line is longer than 1000 octets")
    static let authLineTooLong = make(500, (5, 5, 6), "Authentication exchange line is too long")
    static let messageTooBig = make(552, (5, 3, 4), "Message size exceeds fixed maximum message size")
    /// RFC 5321 §6.3 and RFC 3463's 5.4.6 "routing loop detected".
    static let routingLoop = make(
        554,
        (5, 4, 6),
        "Too many hops: more than \(SMTPServerDefaults.maximumHops) Received fields, a routing loop"
    )

    /// The reply that refuses a message with `fault`, read to its end.
    static func refusal(for fault: SMTPSession.MessageFault) -> SMTPReply {
        switch fault {
        case .tooBig: messageTooBig
        case .lineTooLong: dataLineTooLong
        case .routingLoop: routingLoop
        }
    }
    static let tooManyRecipients = make(452, (4, 5, 3), "Too many recipients")
    static let unknownUser = make(550, (5, 1, 1), "No such user here")
    static let relayDenied = make(554, (5, 7, 1), "Relaying denied")
    static let relayUnavailable = make(
        451,
        (4, 3, 0),
        "Delivery to other domains is not available yet; try again later"
    )
    static let needsSMTPUTF8 = make(553, (5, 6, 7), "Non-ASCII addresses need the SMTPUTF8 parameter")
    static let noExtensionsAfterHELO = make(555, (5, 5, 4), "Parameters need EHLO, not HELO")
    static let dsnUnsupported = make(555, (5, 5, 4), "DSN parameters are not supported")
    static let binaryNeedsBDAT = make(503, (5, 5, 1), "BODY=BINARYMIME needs BDAT, not DATA")
    static let authenticationRequired = make(530, (5, 7, 0), "Authentication required")
    static let senderNotOwned = make(553, (5, 7, 1), "Sender address is not owned by the authenticated user")
    static let vrfy = make(252, (2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery")
    static let expn = make(502, (5, 5, 1), "EXPN is not supported")
    static let tlsNotAvailable = make(502, (5, 5, 1), "STARTTLS is not available")
    static let tlsAlreadyActive = make(503, (5, 5, 1), "TLS is already active")
    static let readyForTLS = make(220, (2, 0, 0), "Ready to start TLS")
    static let authAlready = make(503, (5, 5, 1), "Already authenticated")
    static let authThrottled = make(421, (4, 7, 0), "Too many failed logins; try later")
    static let authInTransaction = make(503, (5, 5, 1), "AUTH is not allowed during a mail transaction")
    static let authNeedsTLS = make(538, (5, 7, 11), "Encryption required for requested authentication mechanism")
    static let authUnknownMechanism = make(504, (5, 5, 4), "Unrecognized authentication type")
    static let authCancelled = make(501, (5, 7, 0), "Authentication cancelled")
    static let authMalformed = make(501, (5, 5, 2), "Cannot decode the authentication response")
    static let authSucceeded = make(235, (2, 7, 0), "Authentication successful")
    static let authFailed = make(535, (5, 7, 8), "Authentication credentials invalid")
    static let authUnavailable = make(454, (4, 7, 0), "Temporary authentication failure; try again later")
    static let recipientUnavailable = make(451, (4, 3, 0), "Cannot look up the recipient now; try again later")
    static let authTooManyFailures = make(421, (4, 7, 0), "Too many failed authentication attempts; closing")
    static let tooManyErrors = make(421, (4, 7, 0), "Too many errors; closing connection")
    static let timeout = make(421, (4, 4, 2), "Timeout; closing connection")
    static let storeFailed = make(451, (4, 3, 0), "Temporary failure storing the message; try again later")
    static let storeFull = make(452, (4, 3, 1), "Insufficient system storage")

    /// A message the receiver's policy refuses (RFC 7489 §7.3 suggests 5.7.1 for a DMARC `reject`).
    static func refusedByPolicy(_ reason: String) -> SMTPReply {
        // The reason comes from the store's checks; keep it one printable line.
        let line = String(reason.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F })
        return make(550, (5, 7, 1), line.isEmpty ? "Message refused by policy" : line)
    }
    static let help = SMTPReply(
        code: 214,
        EnhancedStatusCode(2, 0, 0),
        lines: [
            "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
            "See RFC 5321 and https://www.rfc-editor.org/rfc/rfc5321",
        ]
    )

    static func shuttingDown(_ hostname: String) -> SMTPReply {
        make(421, (4, 3, 2), "\(hostname) is shutting down; try again later")
    }
}
