/// Splits the client's byte stream into complete commands: each command line plus the literals it
/// announces (RFC 3501 §4.3 and §7.5, RFC 7888 LITERAL+), without the final CRLF.
///
/// It is a value with no I/O: feed it bytes, act on the events. For a synchronizing literal `{n}` it asks
/// for the continuation request (`+ Ready for literal`) before the client sends the data; for `{n+}` it
/// just reads on. Limits are enforced while reading so no oversize line or literal is ever buffered:
/// an oversize synchronizing literal is refused before the client sends it, a non-synchronizing one is
/// read and thrown away.
public struct IMAPFramer: Sendable {
    /// One thing the framer found in the input.
    public enum Event: Sendable, Equatable {
        /// A complete command: the lines and literals joined, the last CRLF removed.
        case command([UInt8])
        /// Send a continuation request now: the client waits for it before sending the literal.
        case continuationRequest
        /// A limit was exceeded; the command (whose tag is given when known) is dropped.
        case error(tag: String?, FramingError)
        /// Part of a large APPEND literal, passed on instead of buffered (write it to a file).
        case streamedLiteralChunk(id: UInt32, [UInt8])
        /// The streamed literal `id` is complete; its command follows with the marker `{id*}` in its place.
        case streamedLiteralEnd(id: UInt32)
    }

    /// Why the framer dropped a command.
    public enum FramingError: Error, Sendable, Equatable {
        case lineTooLong
        case literalTooLarge
        /// An APPEND message larger than `APPENDLIMIT`: answered `NO [TOOBIG]` (RFC 7889).
        case messageTooLarge
        case commandTooLarge
    }

    /// The framer's size limits, in octets.
    public struct Limits: Sendable {
        /// The longest command line (without literals).
        public var maxLineLength: Int
        /// The largest literal outside APPEND.
        public var maxLiteralSize: Int
        /// The largest command, lines and literals together.
        public var maxCommandSize: Int
        /// The largest APPEND message (`APPENDLIMIT`, RFC 7889).
        public var appendLimit: Int
        /// APPEND literals larger than this are streamed (`streamedLiteralChunk`) rather than buffered.
        public var streamThreshold: Int
        /// Limits, by default those of `IMAPDefaults`.
        public init(
            maxLineLength: Int = IMAPDefaults.maxLineLength,
            maxLiteralSize: Int = IMAPDefaults.maxLiteralSize,
            maxCommandSize: Int = IMAPDefaults.maxCommandSize,
            appendLimit: Int = IMAPDefaults.appendLimit,
            streamThreshold: Int = IMAPDefaults.appendStreamThreshold
        ) {
            self.streamThreshold = streamThreshold
            self.maxLineLength = maxLineLength
            self.maxLiteralSize = maxLiteralSize
            self.maxCommandSize = maxCommandSize
            self.appendLimit = appendLimit
        }
    }

    private enum State: Sendable {
        case line
        case literal(remaining: Int)
        /// Dropping a refused command's remaining lines and non-synchronizing literals.
        case discardLine
        case discardLiteral(remaining: Int)
        case streamLiteral(id: UInt32, remaining: Int)
    }

    /// The limits in force.
    public let limits: Limits
    private var input: [UInt8] = []
    private var inputIndex = 0
    private var command: [UInt8] = []
    private var state = State.line
    private var nextStreamID: UInt32 = 1
    private var pendingEnd: UInt32?

    /// A framer with no input yet.
    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Forgets everything buffered: used after STARTTLS, where pipelined plaintext must not be
    /// acted on (RFC 3501 §6.2.1, CVE-2011-0411-style command injection).
    public mutating func reset() {
        input.removeAll()
        inputIndex = 0
        command.removeAll()
        state = .line
        pendingEnd = nil
    }

    /// Whether bytes are buffered that do not yet form a complete command.
    public var hasBufferedInput: Bool { inputIndex < input.count || !command.isEmpty }

    /// Takes received octets and returns the events they complete, in order.
    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [Event] {
        input.append(contentsOf: bytes)
        var events: [Event] = []
        while let event = step() {
            if let event { events.append(event) }
        }
        if inputIndex > 4096, inputIndex * 2 > input.count {
            input.removeSubrange(0..<inputIndex)
            inputIndex = 0
        }
        return events
    }

    /// Advances by one step: nil when more input is needed, `.some(nil)` after progress without an event.
    private mutating func step() -> Event?? {
        if let id = pendingEnd {
            pendingEnd = nil
            return .some(.streamedLiteralEnd(id: id))
        }
        switch state {
        case .line:
            guard let lf = input[inputIndex...].firstIndex(of: .lf) else {
                if input.count - inputIndex > limits.maxLineLength {
                    return .some(refuse(.lineTooLong, tag: tagOfPending(), thenDiscard: true))
                }
                return nil
            }
            var line = input[inputIndex..<lf]
            inputIndex = lf + 1
            if line.last == .cr { line = line.dropLast() }
            guard line.count <= limits.maxLineLength else {
                let tag = command.isEmpty ? Self.tag(of: Array(line)) : tagOfPending()
                command.removeAll()
                return .some(.error(tag: tag, .lineTooLong))
            }
            guard let (size, synchronizing) = Self.literalAnnouncement(line) else {
                command.append(contentsOf: line)
                defer { command.removeAll() }
                return .some(.command(command))
            }
            command.append(contentsOf: line)
            command.append(contentsOf: [.cr, .lf])
            let isAppend = Self.isAppend(command)
            if isAppend ? size > limits.appendLimit : size > limits.maxLiteralSize {
                let error: FramingError = isAppend ? .messageTooLarge : .literalTooLarge
                let tag = tagOfPending()
                command.removeAll()
                if !synchronizing { state = .discardLiteral(remaining: size) }
                return .some(.error(tag: tag, error))
            }
            if !isAppend, command.count + size > limits.maxCommandSize {
                let tag = tagOfPending()
                command.removeAll()
                if !synchronizing { state = .discardLiteral(remaining: size) }
                return .some(.error(tag: tag, .commandTooLarge))
            }
            if isAppend, size > limits.streamThreshold {
                // Replace the announcement by the marker `{id*}` CRLF: the parser reads it as a literal
                // whose bytes went elsewhere. A client cannot forge it: a line ending in `*}` announces nothing.
                if let open = command.lastIndex(of: UInt8(ascii: "{")) { command.removeSubrange(open...) }
                let id = nextStreamID
                nextStreamID &+= 1
                command.append(contentsOf: Array("{\(id)*}\r\n".utf8))
                state = .streamLiteral(id: id, remaining: size)
            } else {
                state = .literal(remaining: size)
            }
            return .some(synchronizing ? .continuationRequest : nil)
        case .literal(let remaining):
            let available = min(remaining, input.count - inputIndex)
            if remaining > 0 && available == 0 { return nil }
            command.append(contentsOf: input[inputIndex..<inputIndex + available])
            inputIndex += available
            state = remaining == available ? .line : .literal(remaining: remaining - available)
            return .some(nil)
        case .streamLiteral(let id, let remaining):
            let available = min(remaining, input.count - inputIndex)
            if available == 0 { return nil }
            let chunk = Array(input[inputIndex..<inputIndex + available])
            inputIndex += available
            if remaining == available {
                state = .line
                pendingEnd = id
            } else {
                state = .streamLiteral(id: id, remaining: remaining - available)
            }
            return .some(.streamedLiteralChunk(id: id, chunk))
        case .discardLiteral(let remaining):
            let available = min(remaining, input.count - inputIndex)
            if remaining > 0 && available == 0 { return nil }
            inputIndex += available
            state = remaining == available ? .discardLine : .discardLiteral(remaining: remaining - available)
            return .some(nil)
        case .discardLine:
            guard let lf = input[inputIndex...].firstIndex(of: .lf) else {
                inputIndex = input.count
                return nil
            }
            var line = input[inputIndex..<lf]
            inputIndex = lf + 1
            if line.last == .cr { line = line.dropLast() }
            if let (size, synchronizing) = Self.literalAnnouncement(line), !synchronizing {
                state = .discardLiteral(remaining: size)
            } else {
                state = .line
            }
            return .some(nil)
        }
    }

    private mutating func refuse(_ error: FramingError, tag: String?, thenDiscard: Bool) -> Event {
        command.removeAll()
        inputIndex = input.count
        state = thenDiscard ? .discardLine : .line
        return .error(tag: tag, error)
    }

    private func tagOfPending() -> String? {
        command.isEmpty
            ? Self.tag(of: Array(input[inputIndex..<min(input.count, inputIndex + 256)])) : Self.tag(of: command)
    }

    static func tag(of bytes: [UInt8]) -> String? {
        var parser = IMAPParser(bytes)
        guard let tag = try? parser.tag(), parser.peek == .space else { return nil }
        return tag
    }

    /// Whether the command being read is APPEND (possibly after the tag): its literal is a message,
    /// limited by APPENDLIMIT rather than the general literal limit.
    static func isAppend(_ bytes: [UInt8]) -> Bool {
        var parser = IMAPParser(bytes)
        guard (try? parser.tag()) != nil, parser.consume(.space) else { return false }
        return parser.consumeKeyword("APPEND ")
    }

    // literal = "{" number ["+"] "}" CRLF *CHAR8 — the announcement ends the line.
    static func literalAnnouncement(_ line: ArraySlice<UInt8>) -> (size: Int, synchronizing: Bool)? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.endIndex - 1)]
        var synchronizing = true
        if digits.last == UInt8(ascii: "+") {
            synchronizing = false
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy(\.isASCIIDigit),
            let size = Int(String(decoding: digits, as: UTF8.self)), size <= UInt32.max
        else { return nil }
        return (size, synchronizing)
    }
}
