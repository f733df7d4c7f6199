import Foundation
import Logging
import Synchronization

/// `--log-format json`: each log record as one JSON object on one line of standard error, for log
/// shippers (journald's JSON view, Loki, Vector).
///
/// The fields are `time` (ISO 8601 with milliseconds, UTC), `level`, `label`, `message`, then every metadata key of
/// `LogKey` at the top level; a list (the recipients) is a JSON array.
public struct JSONLogHandler: LogHandler {
    /// The level below which records are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata every record of this logger carries (session, remote address…).
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler for `label` writing to standard error, or to `write` (tests).
    public init(label: String, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.write = write ?? { JSONLogHandler.standardError($0) }
    }

    /// One key of this logger's metadata (Logger's `logger[metadataKey:]`).
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the record as one JSON line, the record's metadata over the logger's.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        write(
            Self.line(
                time: Date(),
                level: event.level,
                label: label,
                message: "\(event.message)",
                metadata: merged
            )
        )
    }

    /// One record as a JSON line (with its newline); the fixed fields first, then the metadata sorted.
    public static func line(
        time: Date,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var fields = [
            "\"time\":" + quoted(timestamp(time)), "\"level\":" + quoted(level.rawValue),
            "\"label\":" + quoted(label), "\"message\":" + quoted(message),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key })
        where !["time", "level", "label", "message"].contains(key) {
            fields.append(member((key, value)))
        }
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    /// `"key":value`, one member of a JSON object.
    private static func member(_ entry: (key: String, value: Logger.Metadata.Value)) -> String {
        quoted(entry.key) + ":" + json(entry.value)
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let value): quoted(value.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            "{" + entries.sorted(by: { $0.key < $1.key }).map(member).joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 §7): quote, backslash and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `2026-12-03T15:00:00.123Z`: RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let since1970 = date.timeIntervalSince1970
        var seconds = time_t(since1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = min(999, Int((since1970 - since1970.rounded(.down)) * 1000))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            milliseconds
        )
    }

    /// One writer at a time, so that lines from several threads never interleave.
    private static let lock = Mutex(())

    private static func standardError(_ line: String) {
        let data = Data(line.utf8)
        // A reader that went away (journald restarted, `| head`) costs the line, not the server: the
        // throwing write says EPIPE where `write(_:)` traps.
        lock.withLock { _ in try? FileHandle.standardError.write(contentsOf: data) }
    }
}

/// How log records are written: `--log-format text|json`.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's stream format: time, level, label, `key=value` metadata, message (`TextLogHandler`).
    case text
    /// `JSONLogHandler`: one JSON object a line.
    case json

    /// The handler factory for `LoggingSystem.bootstrap`.
    public func handler(level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        switch self {
        case .text:
            return { label in
                var handler = TextLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            return { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
