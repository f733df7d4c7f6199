import Logging
import Synchronization

/// The process's log level, which a SIGHUP can change: every handler made by `LogFormat.liveHandler` reads
/// it at each log call (one atomic load), so loggers already copied into sessions follow it too.
public enum LiveLogLevel {
    private static let index = Atomic<Int>(Logger.Level.allCases.firstIndex(of: .info) ?? 2)

    /// The level in force.
    public static var current: Logger.Level { Logger.Level.allCases[index.load(ordering: .relaxed)] }

    /// Makes `level` the level of every live handler.
    public static func set(_ level: Logger.Level) {
        index.store(Logger.Level.allCases.firstIndex(of: level) ?? 2, ordering: .relaxed)
    }
}

/// A handler whose level is LiveLogLevel's unless code sets one on its logger.
struct LiveLevelHandler: LogHandler {
    var base: any LogHandler
    /// A level set on this logger itself (`logger.logLevel = …`), which then wins.
    var own: Logger.Level?

    var logLevel: Logger.Level {
        get { own ?? LiveLogLevel.current }
        set { own = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    func log(event: LogEvent) {
        base.log(event: event)
    }
}

extension LogFormat {
    /// The handler factory for `LoggingSystem.bootstrap` whose level SIGHUP can change, starting at `level`.
    public func liveHandler(level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        LiveLogLevel.set(level)
        let make = handler(level: .trace)
        return { label in LiveLevelHandler(base: make(label)) }
    }
}
