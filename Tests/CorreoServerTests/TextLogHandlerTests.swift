import CorreoServer
import Foundation
import Logging
import MailTestSupport
import Synchronization
import Testing

/// `--log-format text`: TextLogHandler writes what swift-log's StreamLogHandler writes, byte for byte,
/// so that log lines operators grep for did not change when the handler did.
@Suite(.offThePool) struct TextLogHandlerTests {
    /// Collects what StreamLogHandler writes.
    final class Collected: TextOutputStream, @unchecked Sendable {
        private let text = Mutex("")
        var lines: [String] {
            text.withLock { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        }
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    /// Both handlers, the same records: the lines must match once the time (the first field) is set aside,
    /// and the times must match whenever both were taken in the same second.
    @Test(arguments: ["correo", ""])
    func linesMatchStreamLogHandler(label: String) throws {
        let written = Mutex<[String]>([])
        let collected = Collected()
        var text = TextLogHandler(label: label, metadataProvider: nil) { line in
            written.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
        }
        var stream = StreamLogHandler(label: label, stream: collected, metadataProvider: nil)
        text.logLevel = .trace
        stream.logLevel = .trace
        text[metadataKey: "session"] = "qs297j2"
        stream[metadataKey: "session"] = "qs297j2"
        text[metadataKey: "remote_addr"] = "127.0.0.1"
        stream[metadataKey: "remote_addr"] = "127.0.0.1"
        let records: [(Logger.Level, Logger.Message, Logger.Metadata?, (any Error)?)] = [
            (
                .notice, "accepted",
                [
                    "event": "smtp.accepted",
                    "to": .array([
                        "u3@bench.test", "b \"q\"@x.example", "tab\tnew\nline é\u{7}", "it's", "back\\slash",
                        "del\u{7F}", "\u{200B}zero-width", "~ !#$%&()*+,-./:;<=>?@[]^_`{|}", "",
                        .array(["x", .stringConvertible(7)]),
                        .stringConvertible(8),
                    ]),
                    "size": .stringConvertible(2020), "session": "overridden",
                ], nil
            ),
            (.info, "disconnected", nil, nil),
            (.trace, "a trace", [:], nil),
            (.debug, "with a dictionary", ["nested": .dictionary(["only": "one"])], nil),
            (.warning, "unicode é ✓ \u{7}", ["über": "naïve"], nil),
            (.error, "failed", ["path": "/x"], Failure()),
            (.critical, "", nil, Failure()),
        ]
        for _ in 0..<3 {
            written.withLock { $0.removeAll() }
            let before = collected.lines.count - 1
            for (level, message, metadata, error) in records {
                let event = LogEvent(
                    level: level,
                    message: message,
                    metadata: metadata,
                    source: "SMTPServer",
                    file: #fileID,
                    function: #function,
                    line: #line
                )
                var withError = event
                withError.error = error
                text.log(event: withError)
                stream.log(event: withError)
            }
            let ours = written.withLock { $0 }
            let theirs = Array(collected.lines[before...].dropLast())
            try #require(ours.count == records.count && theirs.count == records.count)
            var sameSecond = true
            for (mine, reference) in zip(ours, theirs) {
                #expect(mine.hasSuffix("\n"))
                let (myTime, myRest) = split(String(mine.dropLast()))
                let (theirTime, theirRest) = split(reference)
                #expect(myRest == theirRest)
                #expect(myTime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/) != nil)
                sameSecond = sameSecond && myTime == theirTime
            }
            if sameSecond { return }
        }
        Issue.record("the times differed in three tries: the clocks of the two handlers disagree")
    }

    @Test func levelsBelowTheHandlersAreDropped() {
        let written = Mutex<[String]>([])
        let logger = Logger(label: "correo") { label in
            var handler = TextLogHandler(label: label, metadataProvider: nil) { line in
                written.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
            }
            handler.logLevel = .notice
            return handler
        }
        logger.info("not written")
        logger.notice("written", metadata: ["event": "smtp.accepted"])
        let lines = written.withLock { $0 }
        #expect(lines.count == 1)
        #expect(lines.first?.hasSuffix(" notice correo: event=smtp.accepted [CorreoServerTests] written\n") == true)
    }

    private func split(_ line: String) -> (time: String, rest: String) {
        let space = line.firstIndex(of: " ") ?? line.endIndex
        return (String(line[..<space]), String(line[space...]))
    }
}
