import Foundation
import Logging
import MailCore
import SMTPCore
import ServerSupport

/// The operator's log lines of an SMTP session, one per accepted message and one per refusal, in the
/// shared vocabulary of `LogKey`.
///
/// Built from the session's values; never a password, an AUTH exchange or a body (only the Message-ID field is read out
/// of the message).
enum SMTPLogLines {
    /// `smtp.accepted`: everything about the transaction the client was just told `250 … queued as`.
    static func accepted(_ session: SMTPSession, tls: String, messageID: String?) -> Logger.Metadata {
        // Strings as they are, not interpolated: this line is written for every message.
        var metadata: Logger.Metadata = [
            LogKey.event: "smtp.accepted",
            LogKey.queueID: .string(session.messageID),
            LogKey.remoteAddress: .string(session.clientAddress),
            LogKey.remoteName: .string(session.greeting?.name ?? "unknown"),
            LogKey.tls: .string(tls),
            LogKey.sender: .string(session.sender?.description ?? "<>"),
            LogKey.recipients: .array(recipients(of: session).map { .string($0) }),
            LogKey.size: .string(String(session.messageSize)),
        ]
        if let user = session.authenticatedUser { metadata[LogKey.user] = .string(user) }
        if let messageID { metadata[LogKey.messageID] = .string(messageID) }
        return metadata
    }

    /// `smtp.refused`: a 4xx or 5xx reply, with the command it answers (its verb and address only).
    static func refused(_ reply: SMTPReply, session: SMTPSession, tls: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            LogKey.event: "smtp.refused",
            LogKey.reply: "\(reply.description)",
            LogKey.reason: "\(reason(for: reply, command: session.currentCommand))",
            LogKey.remoteAddress: "\(session.clientAddress)",
            LogKey.tls: "\(tls)",
        ]
        if let name = session.greeting?.name { metadata[LogKey.remoteName] = "\(name)" }
        if let user = session.authenticatedUser { metadata[LogKey.user] = "\(user)" }
        switch session.currentCommand {
        case .some(.mailFrom(let path, _)): metadata[LogKey.sender] = "\(path)"
        case .some(.rcptTo(let path, _)):
            metadata[LogKey.recipient] = "\(path)"
            if let sender = session.sender { metadata[LogKey.sender] = "\(sender)" }
        case .some(let command): metadata["command"] = "\(command.verb)"
        case nil: break
        }
        return metadata
    }

    /// The envelope recipients in the order given, local and remote.
    static func recipients(of session: SMTPSession) -> [String] {
        session.isQueued ? session.envelopeRecipients.map(\.address) : session.recipients
    }

    /// A short phrase for the refusal, from its enhanced status code (RFC 3463's subjects) and the
    /// command it answers: what an operator greps for.
    static func reason(for reply: SMTPReply, command: SMTPCommand?) -> String {
        guard let code = reply.enhancedCode else { return "refused" }
        switch (code.subject, code.detail) {
        case (1, 1): return "unknown recipient"
        case (1, _): return "bad address"
        case (2, 2), (3, 1): return "storage full"
        case (3, 4): return "message too big"
        case (3, 2): return "shutting down"
        case (3, _): return "temporary failure"
        case (4, 2): return "timeout"
        case (4, 6): return "routing loop"
        case (5, 3): return "too many recipients"
        case (5, _): return "protocol error"
        case (6, 7): return "address needs SMTPUTF8"
        case (7, 1):
            if case .some(.rcptTo) = command { return "relay denied" }
            return "sender not authorized"
        case (7, 8): return "bad credentials"
        case (7, 11): return "encryption required"
        case (7, 0):
            if reply.code == 530 { return "authentication required" }
            if case .some(.auth) = command { return "too many failed logins" }
            return reply.code == 421 ? "too many errors" : "policy"
        default: return "refused"
        }
    }
}

/// Reads the Message-ID field out of a message as it streams past: collects the header section (up to
/// a bound) and parses it once the blank line has gone by.
///
/// The body is never kept.
struct MessageIDScanner {
    /// Header octets kept at most: a Message-ID beyond this is not looked for.
    static let headerLimit = 64 * 1024
    private var header: [UInt8] = []
    private var done = false
    /// The field's value once the header section ended.
    private(set) var messageID: String?

    mutating func consume(_ bytes: some Collection<UInt8>) {
        guard !done else { return }
        let searchFrom = max(0, header.count - 3)
        header.append(contentsOf: bytes.prefix(Self.headerLimit - header.count))
        if Self.blankLine(in: header, from: searchFrom) != nil || header.count >= Self.headerLimit { finish() }
    }

    /// A message with no body: the header is all there is.
    mutating func messageEnded() {
        if !done { finish() }
    }

    /// Reads the field out of the octets collected so far.
    ///
    /// They may run past the blank line into the body; the scan stops at the blank line, as a full parse
    /// does.
    private mutating func finish() {
        done = true
        // Only the Message-ID field's bytes are copied; a full parse made every field's name and value
        // first (17,500 instructions a message, callgrind).
        let value = MessageHeader.fields(named: "Message-ID", in: header).first.map { Self.trimmed($0.value) }
        // At most 256 characters; one with at most 256 octets has no more, and is not counted through.
        messageID = value.map { $0.utf8.count <= 256 ? String($0) : String($0.prefix(256)) }
        header = []
    }

    /// `text` without the blanks around it: what `trimmingCharacters(in: .whitespaces)` removes.
    ///
    /// ASCII is judged by hand (only space and tab are blank there) and only other scalars are asked of the
    /// character set, because Foundation's trim cost 20,000 instructions for a Message-ID, more than the
    /// rest of this scanner together (callgrind).
    static func trimmed(_ text: String) -> Substring {
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isBlank(scalars[start]) { start = scalars.index(after: start) }
        while start < end, isBlank(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return Substring(scalars[start..<end])
    }

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || scalar == "\t" : CharacterSet.whitespaces.contains(scalar)
    }

    /// The index just past the first empty line (LF LF or LF CR LF) at or after `start`.
    private static func blankLine(in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBufferPointer { octets -> Int? in
            guard let base = octets.baseAddress else { return nil }
            var index = start
            // memchr to each line end: the octets between them are never looked at one by one.
            while index < octets.count, let found = memchr(base + index, 0x0A, octets.count - index) {
                index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if index + 1 < octets.count, octets[index + 1] == 0x0A { return index + 2 }
                if index + 2 < octets.count, octets[index + 1] == 0x0D, octets[index + 2] == 0x0A { return index + 3 }
                index += 1
            }
            return nil
        }
    }
}
