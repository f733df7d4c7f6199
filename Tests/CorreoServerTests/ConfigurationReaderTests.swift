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

    @Test("domains and limits are taken into the running configuration; ports, bind and the throttle wait")
    func domainsAndLimitsAreTakenLive() throws {
        let start = CorreoConfiguration(domains: ["example.org"])
        var edited = start
        edited.domains = ["example.org", "example.net"]
        edited.limits.maximumMessageSize = 1000
        edited.limits.maximumConnections = 7
        edited.limits.loginTimeoutSeconds = 9
        edited.limits.authFailuresBeforeBlock = 3
        edited.bindAddress = "127.0.0.1"
        let file = edited
        let keys = [
            "domain", "max-message-size", "max-connections", "login-timeout", "auth-failures-before-block", "bind",
        ]
        // Every key differs between the two; the key table's diff is ConfigFileTests' to check.
        let reader = ConfigurationReader(path: "correo.toml", running: start) {
            file
        } changedKeys: { _, _ in
            keys
        }
        let outcome = try reader.reload()
        #expect(outcome.applied == ["domain", "max-message-size", "max-connections", "login-timeout"])
        #expect(outcome.needRestart == ["auth-failures-before-block", "bind"])
        let running = try #require(outcome.running)
        #expect(running.domains == ["example.org", "example.net"])
        #expect(running.limits.maximumMessageSize == 1000)
        #expect(running.limits.maximumConnections == 7)
        #expect(running.limits.loginTimeoutSeconds == 9)
        #expect(running.limits.authFailuresBeforeBlock == start.limits.authFailuresBeforeBlock)
        #expect(running.bindAddress == start.bindAddress)
    }
}
