// libFuzzer harness: bytes from a client, cut into reads of fuzzer-chosen sizes, driven through
// SMTPCore's framer and command grammar and SMTPServer's session state machine (sans-IO: no sockets,
// no store). The harness plays the handler: it answers recipient look-ups, AUTH checks and deliveries,
// and checks what a handler relies on.
//
// Input: byte 0 picks the session's configuration, byte 1 seeds the read sizes and answers, the rest
// is what the client sends.

import Foundation
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSMTPSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let flags = input[0]
    var random = FuzzRandom(seed: input[1])
    let client = input[2...]

    let listeners: [SMTPListenerKind] = [.mx, .submission, .submissions]
    var configuration = SMTPSessionConfiguration(
        hostname: "mx.example.org",
        localDomains: ["example.org", "example.net"],
        listener: listeners[Int(flags % 3)],
        tlsAvailable: flags & 0x04 != 0,
        allowPlaintextAuth: flags & 0x08 != 0,
        requireSenderToMatchAuthenticatedUser: flags & 0x10 != 0,
        postmasterMailbox: flags & 0x20 != 0 ? "admin@example.org" : nil,
        // Small limits so that short inputs reach them.
        maximumMessageSize: flags & 0x40 != 0 ? 200 : SMTPDefaults.messageSize,
        maximumRecipients: flags & 0x80 != 0 ? 3 : SMTPDefaults.recipients
    )
    // With a queue (outbound relay, DSN) for half the seeds: no flag bit is free, so the seed byte says.
    configuration.relays = input[1] & 0x01 != 0
    // And the back-off pause before a failed AUTH's answer for the other half.
    configuration.authenticationFailureDelay = input[1] & 0x02 != 0 ? .seconds(1) : .zero
    // And a failed-login throttle shared with other sessions for a quarter.
    configuration.sharesAuthThrottle = input[1] & 0x04 != 0
    var session = SMTPSession(
        configuration: configuration,
        connectionID: "fuzz",
        clientAddress: "192.0.2.1",
        isTLS: configuration.listener.usesImplicitTLS,
        clock: { Date(timeIntervalSince1970: 1_800_000_000) }
    )
    var handler = HandlerModel(configuration: configuration)
    handler.handle(session.received(.connected), session: &session, random: &random)

    var offset = client.startIndex
    while offset < client.endIndex, !session.isClosed {
        let length = min(random.next(upTo: 64) + 1, client.endIndex - offset)
        let read = ByteBuffer(bytes: client[offset..<(offset + length)])
        offset += length
        fuzzCheck(!session.isAwaitingAnswer, "bytes delivered while an answer is awaited")
        handler.handle(session.received(.bytes(read)), session: &session, random: &random)
        if random.next(upTo: 200) == 0 {
            handler.handle(session.received(.shutdownRequested), session: &session, random: &random)
        }
    }
    if !session.isClosed {
        handler.handle(session.received(.timedOut), session: &session, random: &random)
        fuzzCheck(session.isClosed || session.isAwaitingAnswer, "a timed-out session stays open")
    }
    return 0
}

/// What a channel handler tracks, checking each action against it.
struct HandlerModel {
    let configuration: SMTPSessionConfiguration
    var messageOpen = false
    var messageBytes = 0
    var closed = false
    /// Throttle checks answered so far: every other one refuses.
    var throttleChecks = 0

    /// Applies `actions`, answering whatever the session waits for (and what that brings, in turn).
    mutating func handle(_ actions: [SMTPSession.Action], session: inout SMTPSession, random: inout FuzzRandom) {
        var pending = actions
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            fuzzCheck(rounds < 100_000, "the session keeps asking without end")
            var answers: [SMTPSession.Event] = []
            for action in pending {
                fuzzCheck(!closed, "action \(action) after close")
                switch action {
                case .reply(let reply):
                    fuzzCheck((200..<600).contains(reply.code), "reply code \(reply.code)")
                    fuzzCheck(!reply.lines.isEmpty, "reply without lines")
                    // RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
                    // The code and its separator, the enhanced code and its space, CRLF.
                    let overhead = 4 + (reply.enhancedCode.map { $0.description.utf8.count + 1 } ?? 0) + 2
                    for line in reply.lines {
                        let octets = line.utf8.count + overhead
                        fuzzCheck(octets <= 512, "reply line of \(octets) octets")
                        fuzzCheck(!line.utf8.contains(0x0A) && !line.utf8.contains(0x0D), "CR or LF in a reply")
                    }
                case .startTLS:
                    fuzzCheck(configuration.tlsAvailable, "STARTTLS without a TLS context")
                    fuzzCheck(!messageOpen, "STARTTLS inside a message")
                case .lookUpRecipient(let address):
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    // Local parts starting with "x" do not exist.
                    answers.append(.recipientLookedUp(address.hasPrefix("x") ? nil : address))
                case .checkAuthThrottle:
                    fuzzCheck(configuration.sharesAuthThrottle, "a throttle check without a shared throttle")
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    // Every other check stands for an address that failed too often lately.
                    throttleChecks += 1
                    answers.append(throttleChecks % 2 == 0 ? .authenticationThrottled : .authenticationAllowed)
                case .authenticate(let credentials):
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    answers.append(.authenticated(credentials.password == "secret"))
                case .recordAuthenticationSuccess:
                    fuzzCheck(configuration.sharesAuthThrottle, "a success recorded without a shared throttle")
                case .recordAuthenticationFailure:
                    fuzzCheck(configuration.sharesAuthThrottle, "a failure recorded without a shared throttle")
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    answers.append(.authenticationFailureRecorded(backOff: .milliseconds(500)))
                case .pause(let duration):
                    fuzzCheck(duration > .zero, "a pause of \(duration)")
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    answers.append(.pauseElapsed)
                case .beginMessage:
                    fuzzCheck(!messageOpen, "beginMessage while a message is open")
                    messageOpen = true
                    messageBytes = 0
                case .messageData(let bytes):
                    fuzzCheck(messageOpen, "message data without an open message")
                    messageBytes += bytes.readableBytes
                    // The session may add its trace header; past that, the size limit holds.
                    fuzzCheck(
                        messageBytes <= configuration.maximumMessageSize + 4096,
                        "\(messageBytes) octets handed on, limit \(configuration.maximumMessageSize)")
                case .deliverMessage(let recipients, let envelope, _):
                    fuzzCheck(messageOpen, "deliver without an open message")
                    let total = envelope?.recipients.count ?? recipients.count
                    fuzzCheck(total > 0, "deliver to nobody")
                    fuzzCheck(total <= configuration.maximumRecipients, "too many recipients")
                    fuzzCheck(envelope == nil || configuration.relays, "queued by a session that does not relay")
                    fuzzCheck(answers.isEmpty, "two questions at once")
                    messageOpen = false
                    let outcomes: [SMTPStoreOutcome] = [.delivered, .delivered, .temporaryFailure, .insufficientStorage, .refused("policy")]
                    answers.append(.messageStored(outcomes[random.next(upTo: outcomes.count)]))
                case .abortMessage:
                    fuzzCheck(messageOpen, "abort without an open message")
                    messageOpen = false
                case .close:
                    closed = true
                }
            }
            if !answers.isEmpty {
                fuzzCheck(session.isAwaitingAnswer, "a question asked but no answer awaited")
            }
            pending = answers.flatMap { session.received($0) }
        }
        if closed { fuzzCheck(session.isClosed, "close sent but the session is open") }
    }
}
