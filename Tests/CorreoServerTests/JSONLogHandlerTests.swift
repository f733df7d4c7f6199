import CorreoServer
import Foundation
import Logging
import MailTestSupport
import Synchronization
import Testing

/// `--log-format json`: each record one parseable JSON object on one line, metadata at the top level.
@Suite(.offThePool) struct JSONLogHandlerTests {
    @Test func aRecordIsOneJSONObjectWithItsMetadata() throws {
        let written = Mutex<[String]>([])
        var handler = JSONLogHandler(label: "correo") { line in written.withLock { $0.append(line) } }
        handler.logLevel = .info
        handler[metadataKey: "session"] = "abc"
        var logger = Logger(label: "correo") { _ in handler }
        logger.logLevel = .info
        logger.notice(
            "accepted \"quoted\"\nnext",
            metadata: ["to": .array(["a@x.example", "b@y.example"]), "size": "12", "from": "<tab\there>"]
        )
        logger.debug("not written")
        let lines = written.withLock { $0 }
        try #require(lines.count == 1)
        #expect(lines[0].hasSuffix("\n"))
        #expect(lines[0].dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "notice")
        #expect(object["label"] as? String == "correo")
        #expect(object["message"] as? String == "accepted \"quoted\"\nnext")
        #expect(object["session"] as? String == "abc")
        #expect(object["to"] as? [String] == ["a@x.example", "b@y.example"])
        #expect(object["size"] as? String == "12")
        #expect(object["from"] as? String == "<tab\there>")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
    }
}
