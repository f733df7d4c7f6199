import Foundation
import NIOCore
import SMTPCore

@testable import SMTPServer

/// Drives an `SMTPSession` with text and reads back what it did.
struct SessionHarness {
    var session: SMTPSession

    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let date = "Fri, 15 Jan 2027 08:00:00 +0000"

    static func configuration(
        listener: SMTPListenerKind = .mx,
        tlsAvailable: Bool = true,
        allowPlaintextAuth: Bool = false,
        postmaster: String? = nil,
        maximumMessageSize: Int = 1000,
        maximumRecipients: Int = 3,
        maximumErrors: Int = 10
    ) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(
            hostname: "mx.example.test",
            localDomains: ["Example.Test", "other.test"],
            listener: listener,
            tlsAvailable: tlsAvailable,
            allowPlaintextAuth: allowPlaintextAuth,
            postmasterMailbox: postmaster,
            maximumMessageSize: maximumMessageSize,
            maximumRecipients: maximumRecipients,
            maximumErrors: maximumErrors
        )
    }

    init(_ configuration: SMTPSessionConfiguration = SessionHarness.configuration(), isTLS: Bool = false) {
        session = SMTPSession(
            configuration: configuration,
            connectionID: "c1",
            clientAddress: "192.0.2.9",
            isTLS: isTLS,
            clock: { SessionHarness.now }
        )
        _ = session.received(.connected)
    }

    /// Sends `text` as one read.
    @discardableResult
    mutating func send(_ text: String) -> [SMTPSession.Action] {
        session.received(.bytes(ByteBuffer(string: text)))
    }

    @discardableResult
    mutating func event(_ event: SMTPSession.Event) -> [SMTPSession.Action] {
        session.received(event)
    }

    /// Sends `text` and answers every recipient lookup with the address itself; returns reply codes.
    mutating func codes(_ text: String) -> [Int] {
        Self.codes(resolving(send(text)))
    }

    /// Answers lookups (`known` or every local address) until none is pending; returns all actions.
    mutating func resolving(_ first: [SMTPSession.Action], known: Set<String>? = nil) -> [SMTPSession.Action] {
        var all = first
        var pending = first
        while case .lookUpRecipient(let address)? = pending.last {
            let mailbox = known.map { $0.contains(address) ? address : nil } ?? address
            pending = session.received(.recipientLookedUp(mailbox))
            all += pending
        }
        return all
    }

    /// EHLO, MAIL FROM alice, RCPT TO bob.
    mutating func startTransaction(recipients: [String] = ["bob@example.test"]) {
        codes("EHLO client.example\r\nMAIL FROM:<alice@example.test>\r\n")
        for recipient in recipients { codes("RCPT TO:<\(recipient)>\r\n") }
    }

    /// The local delivery that ends a transaction begun with `startTransaction`.
    static func delivery(
        _ recipients: [String],
        helo: String = "client.example",
        sender: String = "alice@example.test"
    ) -> SMTPSession.Action {
        .deliverMessage(
            recipients: recipients,
            origin: SMTPMessageOrigin(
                clientAddress: "192.0.2.9",
                heloName: helo,
                sender: sender,
                authenticatedUser: nil
            )
        )
    }

    static func codes(_ actions: [SMTPSession.Action]) -> [Int] {
        actions.compactMap { if case .reply(let reply) = $0 { return reply.code } else { return nil } }
    }

    static func replies(_ actions: [SMTPSession.Action]) -> [SMTPReply] {
        actions.compactMap { if case .reply(let reply) = $0 { return reply } else { return nil } }
    }

    /// The message octets handed to the store.
    static func data(_ actions: [SMTPSession.Action]) -> String {
        actions.map { if case .messageData(let bytes) = $0 { return String(buffer: bytes) } else { return "" } }
            .joined()
    }

    static func reply(_ code: Int, _ enhanced: (Int, Int, Int)?, _ text: String) -> SMTPSession.Action {
        .reply(SMTPReply(code: code, enhanced.map { EnhancedStatusCode($0.0, $0.1, $0.2) }, text))
    }

    static let traceHeaders =
        "Return-Path: <alice@example.test>\r\nReceived: from client.example ([192.0.2.9])\r\n"
        + "\tby mx.example.test (correo) with ESMTP id c1-1\r\n\tfor <bob@example.test>;\r\n\t\(date)\r\n"
}
