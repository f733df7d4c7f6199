import Logging
import MailTestSupport
import Synchronization
import Testing

@testable import CorreoServer

/// What a SIGHUP does with a changed configuration: the log level in force at once, in loggers made
/// before; every other changed key reported as needing a restart until then.
@Suite(.offThePool) struct ConfigurationReaderTests {
    /// A handler that records the levels it was asked to write.
    final class Recorder: Sendable {
        let levels = Mutex<[Logger.Level]>([])
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorder.levels.withLock { $0.append(event.level) } }
    }

    @Test func logLevelAppliesLiveAndOtherKeysWaitForARestart() throws {
        let start = CorreoConfiguration(logLevel: .info)
        var edited = start
        edited.logLevel = .debug
        edited.ports.smtp = 2600
        let file = edited
        let reader = ConfigurationReader(path: "correo.toml", running: start) {
            file
        } changedKeys: { old, new in
            (old.logLevel != new.logLevel ? ["log-level"] : [])
                + (old.ports.smtp != new.ports.smtp ? ["smtp-port"] : [])
        }
        let recorder = Recorder()
        LiveLogLevel.set(.info)
        // A logger made before the reload, as every session's is.
        let logger = Logger(label: "test") { _ in LiveLevelHandler(base: RecordingHandler(recorder: recorder)) }
        logger.debug("dropped")

        let outcome = try reader.reload()
        #expect(outcome.applied == ["log-level"])
        #expect(outcome.needRestart == ["smtp-port"])
        #expect(LiveLogLevel.current == .debug)
        logger.debug("written")
        #expect(recorder.levels.withLock { $0 } == [.debug])
        // Still not in effect: said again at the next reload; the level is not a change any more.
        let again = try reader.reload()
        #expect(again.applied.isEmpty)
        #expect(again.needRestart == ["smtp-port"])
        LiveLogLevel.set(.info)
    }
}
