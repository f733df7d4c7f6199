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
        /// The configuration in force after the reload: the start-up one with every live change applied.
        public var running: CorreoConfiguration?
    }

    /// Reads the file again and takes the keys that can change live: the log level (applied here), the local
    /// domains and the limits (which the service hands to its servers for their new sessions).
    ///
    /// Every other change is reported as needing a restart and is reported again at each reload until then.
    func reload() throws -> Outcome {
        let new = try read()
        return running.withLock { running in
            var outcome = Outcome()
            for key in changedKeys(running, new) {
                if Self.take(key, from: new, into: &running) {
                    outcome.applied.append(key)
                } else {
                    outcome.needRestart.append(key)
                }
            }
            if outcome.applied.contains("log-level") { LiveLogLevel.set(running.logLevel) }
            outcome.running = running
            return outcome
        }
    }

    /// Copies `key`'s value from `new` into `running` when it can change while the servers run; false when it
    /// needs a restart (ports, bind address, storage, user, TLS settings…).
    static func take(_ key: String, from new: CorreoConfiguration, into running: inout CorreoConfiguration) -> Bool {
        switch key {
        case "log-level": running.logLevel = new.logLevel
        case "domain": running.domains = new.domains
        case "max-connections": running.limits.maximumConnections = new.limits.maximumConnections
        case "max-connections-per-address":
            running.limits.maximumConnectionsPerAddress = new.limits.maximumConnectionsPerAddress
        case "command-timeout": running.limits.commandTimeoutSeconds = new.limits.commandTimeoutSeconds
        case "login-timeout": running.limits.loginTimeoutSeconds = new.limits.loginTimeoutSeconds
        case "max-message-size": running.limits.maximumMessageSize = new.limits.maximumMessageSize
        case "max-recipients": running.limits.maximumRecipients = new.limits.maximumRecipients
        default: return false
        }
        return true
    }
}
