// libFuzzer harness: bytes from a client, cut into reads of fuzzer-chosen sizes, through IMAPServer's
// framer (lines, synchronizing and non-synchronizing literals, limits), command grammar and session
// state machine. The harness plays the channel handler and a store that echoes the client's mailbox
// names back, then encodes every response and checks that each is one well-framed response (no
// client-controlled CR LF outside a literal: no response injection).
//
// Input: byte 0 picks the configuration and limits (0x20: a shared failed-login throttle), byte 1 seeds
// the read sizes and answers, the rest is what the client sends.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIMAPSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let flags = input[0]
    var random = FuzzRandom(seed: input[1])
    let client = input[2...]
    let small = flags & 0x08 != 0
    var configuration = IMAPSessionConfiguration(
        isTLS: flags & 0x01 != 0,
        startTLSAvailable: flags & 0x02 != 0,
        allowPlaintextAuth: flags & 0x04 != 0,
        condStore: flags & 0x10 != 0,
        appendLimit: small ? 300 : IMAPDefaults.appendLimit,
        maxFailedLogins: 3,
        failedLoginDelayMilliseconds: 10
    )
    configuration.sharesAuthThrottle = flags & 0x20 != 0
    let limits =
        small
        ? IMAPFramer.Limits(
            maxLineLength: 200, maxLiteralSize: 500, maxCommandSize: 1_000, appendLimit: 300, streamThreshold: 40)
        : IMAPFramer.Limits(appendLimit: configuration.appendLimit)
    var handler = IMAPHandlerModel(framer: IMAPFramer(limits: limits), session: IMAPSession(configuration: configuration))
    handler.check([handler.session.greeting])

    var offset = client.startIndex
    while offset < client.endIndex, !handler.closed {
        let length = min(random.next(upTo: 64) + 1, client.endIndex - offset)
        handler.read(client[offset..<(offset + length)], random: &random)
        offset += length
    }
    return 0
}

/// What IMAPChannelHandler does with the session, with a pretend store.
struct IMAPHandlerModel {
    var framer: IMAPFramer
    var session: IMAPSession
    var closed = false
    /// APPEND literals the framer streamed (as the handler writes them to files): id → octets, and
    /// whether the literal is complete.
    var streamed: [UInt32: (bytes: Int, complete: Bool)] = [:]
    var usedStreams: Set<UInt32> = []

    mutating func read(_ bytes: ArraySlice<UInt8>, random: inout FuzzRandom) {
        var events: [IMAPFramer.Event] = []
        for event in framer.feed(bytes) {
            switch event {
            case .streamedLiteralChunk(let id, let chunk):
                fuzzCheck(streamed[id]?.complete != true, "chunk for streamed literal \(id) after its end")
                streamed[id, default: (0, false)].bytes += chunk.count
                fuzzCheck(streamed[id, default: (0, false)].bytes <= framer.limits.appendLimit, "streamed past APPENDLIMIT")
            case .streamedLiteralEnd(let id):
                fuzzCheck(streamed[id] != nil, "end of streamed literal \(id) never started")
                streamed[id]?.complete = true
            default:
                events.append(event)
            }
        }
        var actions: [IMAPSession.Action] = []
        var steps = 0
        while !closed {
            steps += 1
            fuzzCheck(steps < 1_000_000, "the session never settles")
            if !actions.isEmpty {
                let action = actions.removeFirst()
                switch action {
                case .send(let responses):
                    check(responses)
                case .pause(let milliseconds):
                    fuzzCheck(milliseconds >= 0 && milliseconds <= 60_000, "pause of \(milliseconds) ms")
                case .startTLS:
                    // Plaintext pipelined behind STARTTLS is dropped (RFC 3501 6.2.1).
                    events.removeAll()
                    framer.reset()
                    actions.append(contentsOf: session.tlsEstablished())
                    fuzzCheck(session.isTLS, "TLS established but the session does not know")
                case .checkAuthThrottle:
                    fuzzCheck(session.configuration.sharesAuthThrottle, "throttle asked without a shared one")
                    actions.append(contentsOf: session.authThrottleChecked(allowed: random.next(upTo: 4) != 0))
                case .verifyCredentials(_, let password):
                    actions.append(contentsOf: session.credentialsVerified(password == "secret"))
                case .recordAuthenticationSuccess:
                    fuzzCheck(session.configuration.sharesAuthThrottle, "success told without a shared throttle")
                case .recordAuthenticationFailure:
                    fuzzCheck(session.configuration.sharesAuthThrottle, "failure told without a shared throttle")
                    let backOff = Duration.milliseconds(random.next(upTo: 2000))
                    actions.append(contentsOf: session.authenticationFailureRecorded(backOff: backOff))
                case .execute(let request):
                    if case .append(let append) = request.command, let id = append.streamedLiteralID {
                        // The marker `{id*}` is the framer's; a client must not be able to name a literal.
                        fuzzCheck(streamed[id]?.complete == true, "APPEND names streamed literal \(id), never streamed")
                        fuzzCheck(usedStreams.insert(id).inserted, "streamed literal \(id) used twice")
                        fuzzCheck(append.message.isEmpty, "streamed APPEND with message bytes too")
                    }
                    actions.append(contentsOf: session.completed(Self.outcome(for: request, random: &random)))
                case .startIdle, .stopIdle:
                    break
                case .armAutologout(let deadline):
                    // The session runs on its own clock here; a deadline is never in the past when armed.
                    fuzzCheck(deadline > 0, "autologout armed at \(deadline)")
                case .close:
                    closed = true
                }
            } else if !events.isEmpty {
                actions.append(contentsOf: session.received(events.removeFirst()))
            } else {
                break
            }
        }
    }

    /// A store that succeeds (or not) and echoes what the client named.
    static func outcome(for request: ExecutionRequest, random: inout FuzzRandom) -> CommandOutcome {
        let done = IMAPResponse.ok(request.tag, "\(request.command.name) completed")
        let failed = IMAPResponse.no(request.tag, .nonexistent, "No such mailbox")
        let fails = random.next(upTo: 4) == 0
        func entry(_ name: IMAPMailboxName) -> IMAPResponse {
            .untagged(.list(ListEntry(attributes: ["\\HasNoChildren"], delimiter: "/", name: name)))
        }
        switch request.command {
        case .select(let name, _), .examine(let name, _):
            if fails { return CommandOutcome(responses: [failed], selection: .deselected) }
            if case .examine = request.command {
                return CommandOutcome(responses: [.untagged(.exists(1)), done], selection: .selected(name, readOnly: true))
            }
            return CommandOutcome(responses: [.untagged(.exists(1)), done], selection: .selected(name, readOnly: false))
        case .close, .unselect:
            return CommandOutcome(responses: [done], selection: .deselected)
        case .create(let name), .delete(let name), .subscribe(let name), .unsubscribe(let name):
            return CommandOutcome(responses: fails ? [failed] : [entry(name), done])
        case .rename(let from, let to):
            return CommandOutcome(responses: fails ? [failed] : [entry(from), entry(to), done])
        case .status(let name, _):
            return CommandOutcome(responses: fails ? [failed] : [.untagged(.status(name, [])), done])
        case .append(let append):
            return CommandOutcome(responses: [entry(append.mailbox), done])
        case .copy(_, let name, _), .move(_, let name, _):
            return CommandOutcome(responses: fails ? [failed] : [entry(name), done])
        default:
            return CommandOutcome(responses: [fails ? failed : done])
        }
    }

    /// Every response encodes to exactly one response: CR LF only at its end or right after a literal's
    /// `{n}` announcement, and a literal's announced length is what follows.
    func check(_ responses: [IMAPResponse]) {
        for response in responses {
            let bytes = IMAPResponseEncoder.encode(response)
            fuzzCheck(bytes.count >= 2 && bytes.suffix(2) == [0x0D, 0x0A], "response not ending in CRLF")
            var index = 0
            while index < bytes.count {
                guard let cr = bytes[index...].firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else {
                    break
                }
                fuzzCheck(cr + 1 < bytes.count && bytes[cr] == 0x0D && bytes[cr + 1] == 0x0A, "bare CR or LF in \(bytes)")
                if cr + 2 == bytes.count { break }
                // Not the end: must follow a literal announcement `{n}` (or `~{n}` for literal8).
                guard let length = literalLength(before: cr, in: bytes) else {
                    fatalError("fuzz invariant broken: CRLF inside a response: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                }
                index = cr + 2 + length
                fuzzCheck(index <= bytes.count - 2, "literal of \(length) octets runs past the response")
            }
        }
    }

    private func literalLength(before end: Int, in bytes: [UInt8]) -> Int? {
        guard end > 0, bytes[end - 1] == 0x7D else { return nil }  // "}"
        var start = end - 2
        while start >= 0, (0x30...0x39).contains(bytes[start]) { start -= 1 }
        guard start >= 0, bytes[start] == 0x7B, start + 1 < end - 1 else { return nil }  // "{"
        return Int(String(decoding: bytes[(start + 1)..<(end - 1)], as: UTF8.self))
    }
}
