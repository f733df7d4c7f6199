import Foundation
import MailStore
import NIOPosix
import SMTPServer

/// Release in `serve --dev`: a captured message sent on through the real relay (the outbound queue
/// and its runner, as `correo serve` sends mail for other hosts) to addresses on the allow-list of
/// `--dev-release-allow`, and to no other.
///
/// This is the one way mail leaves the developer's mode, so every recipient is checked here, and the
/// queued recipients ask for no delivery status notification: a bounce would otherwise go to the
/// captured sender, an address nobody allowed.
public struct DevRelease: Sendable {
    /// The allowed address patterns (`*` for any run of characters, case-insensitive).
    public let allow: [String]
    let store: MailStore
    /// Tells the queue runner of a message just queued.
    let queued: @Sendable (String) -> Void

    /// Release through `store`'s queue to addresses matching `allow`; `queued` wakes the runner.
    public init(allow: [String], store: MailStore, queued: @escaping @Sendable (String) -> Void) {
        self.allow = allow
        self.store = store
        self.queued = queued
    }

    /// Whether `address` matches a pattern of the allow-list.
    public func allows(_ address: String) -> Bool {
        allow.contains { Glob.matches($0, address) }
    }

    /// Queues `message` from `sender` for `recipients` (all allowed: checked by the caller); returns the
    /// queue id.
    ///
    /// The dev store's `Return-Path:` goes (RFC 5321 §4.4: it is the final delivery's, and this copy travels
    /// on); the `Received:` line the dev server wrote stays, as trace.
    public func release(_ message: [UInt8], sender: String, recipients: [String]) async throws -> String {
        let envelope = QueueEnvelope(
            id: OutboundQueue.newID(),
            sender: sender,
            recipients: recipients.map { QueuedRecipient(address: $0, notify: .never) },
            // Marks it submitted, so that the relay signs it with a DKIM key of its From domain when
            // STORAGE/dkim/ has one, as it signs what users submit.
            submitter: "correo-dev-release"
        )
        let bytes = Self.withoutReturnPath(message)
        let queue = store.queue
        try await NIOThreadPool.singleton.runIfActive { try queue.enqueue(bytes: bytes, envelope: envelope) }
        queued(envelope.id)
        return envelope.id
    }

    /// `message` without the `Return-Path:` fields at its top (each with its folded lines).
    static func withoutReturnPath(_ message: [UInt8]) -> [UInt8] {
        let name = Array("return-path:".utf8)
        var start = 0
        while message.count - start >= name.count,
            zip(message[start..<start + name.count], name).allSatisfy({ lowered($0) == $1 })
        {
            var end = start
            // To the end of the field: a CRLF not followed by a space or tab.
            while end < message.count {
                if message[end] == 0x0A,
                    end + 1 >= message.count || (message[end + 1] != 0x20 && message[end + 1] != 0x09)
                {
                    end += 1
                    break
                }
                end += 1
            }
            start = end
        }
        return Array(message[start...])
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }
}
