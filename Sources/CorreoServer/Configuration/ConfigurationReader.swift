import Synchronization

/// How SIGHUP reads the configuration file again: the command line gives the reading (its flags and
/// environment over the file), the service applies what can change while it runs and names the rest.
public final class ConfigurationReader: Sendable {
    /// The configuration file, for the log.
    public let path: String
    /// The flags, the environment and the file merged again.
    let read: @Sendable () throws -> CorreoConfiguration
    /// The keys (file names, such as `smtp-port`) whose values differ between two configurations.
    let changedKeys: @Sendable (CorreoConfiguration, CorreoConfiguration) -> [String]
    /// What the process runs with now: the start-up configuration with the changes applied since.
    let running: Mutex<CorreoConfiguration>

    /// A reader for the file at `path`, starting from the configuration the process started with.
    public init(
        path: String,
        running: CorreoConfiguration,
        read: @escaping @Sendable () throws -> CorreoConfiguration,
        changedKeys: @escaping @Sendable (CorreoConfiguration, CorreoConfiguration) -> [String]
    ) {
        self.path = path
        self.read = read
        self.changedKeys = changedKeys
        self.running = Mutex(running)
    }

    /// What a reload did with the file's changes.
    public struct Outcome: Sendable, Equatable {
        /// Keys now in effect.
        public var applied: [String] = []
        /// Keys that changed but take effect only at the next start (ports, bind address, storage…).
        public var needRestart: [String] = []
    }

    /// Reads the file again and applies the keys that can change live: the log level.
    ///
    /// Every other change is reported as needing a restart and is reported again at each reload until then.
    func reload() throws -> Outcome {
        let new = try read()
        return running.withLock { running in
            var outcome = Outcome()
            for key in changedKeys(running, new) {
                switch key {
                case "log-level":
                    running.logLevel = new.logLevel
                    LiveLogLevel.set(new.logLevel)
                    outcome.applied.append(key)
                default:
                    outcome.needRestart.append(key)
                }
            }
            return outcome
        }
    }
}
