import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--log-format text`: swift-log's `StreamLogHandler` line, byte for byte, built without its costs.
///
/// The line is `TIME LEVEL LABEL: key=value… [SOURCE] MESSAGE`, the metadata sorted by key, the time local
/// in `%Y-%m-%dT%H:%M:%S%z`, exactly as StreamLogHandler writes it (tests compare the two), so what
/// operators grep for and the docs quote stays the same.
///
/// Why not StreamLogHandler itself: for every record it merges the metadata, renders each pair through
/// string interpolation, joins them, formats the time with strftime and writes through stdio. For the one
/// line an accepted SMTP message logs that was 63,000 instructions, a seventh of `correo smtpd`'s own
/// work per message (callgrind, BENCHMARKS.md's nineteenth stop). Here the line is appended into one
/// byte array, the time is formatted once a second, and the line goes out in one write(2).
public struct TextLogHandler: LogHandler {
    /// The level below which records are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata every record of this logger carries (session, remote address…).
    public var metadata: Logger.Metadata = [:]
    /// Metadata added to every record from the task's context, as with StreamLogHandler.
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler for `label` writing to standard error, or to `write` (tests).
    public init(
        label: String,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        write: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write ?? { TextLogHandler.standardError($0) }
    }

    /// One key of this logger's metadata (Logger's `logger[metadataKey:]`).
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the record as one line: the record's metadata over the provider's over the logger's, and
    /// an error as `error.message` and `error.type`, as StreamLogHandler does.
    public func log(event: LogEvent) {
        // The layers as a list, each key taken from the last layer that has it: merging dictionaries
        // rehashed every key of the record's metadata into the logger's (12,000 instructions a line).
        var layers = [metadata]
        if let provided = metadataProvider?.get(), !provided.isEmpty { layers.append(provided) }
        if let explicit = event.metadata, !explicit.isEmpty { layers.append(explicit) }
        if let error = event.error {
            layers.append([
                "error.message": "\(error)", "error.type": "\(String(reflecting: type(of: error)))",
            ])
        }
        var merged: [(key: String, value: Logger.Metadata.Value)] = []
        merged.reserveCapacity(layers.reduce(0) { $0 + $1.count })
        for (index, layer) in layers.enumerated() {
            let later = layers[(index + 1)...]
            if later.isEmpty {
                merged.append(contentsOf: layer)
            } else {
                for entry in layer where !later.contains(where: { $0.keys.contains(entry.key) }) {
                    merged.append(entry)
                }
            }
        }
        var line: [UInt8] = []
        line.reserveCapacity(320)
        LocalTimestamp.append(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        // Sorted in place: `sorted` copied every entry first (and retained each key and value).
        merged.sort { $0.key < $1.key }
        for (key, value) in merged {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            Self.append(value, to: &line)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        line.append(UInt8(ascii: "\n"))
        write(line)
    }

    /// A value as StreamLogHandler renders it (its `description`), without the interpolation for the
    /// common case of a plain string.
    private static func append(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text): line.append(contentsOf: text.utf8)
        case .stringConvertible(let convertible): line.append(contentsOf: convertible.description.utf8)
        case .array(let values):
            // What `description` gives (each string quoted and escaped as `debugDescription` does, a
            // nested list as its own description) without its intermediate strings: the recipients of
            // every message.
            line.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { line.append(contentsOf: ", ".utf8) }
                switch value {
                case .string(let text): appendQuoted(text, to: &line)
                case .stringConvertible(let convertible): appendQuoted(convertible.description, to: &line)
                case .array, .dictionary: append(value, to: &line)
                }
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary: line.append(contentsOf: value.description.utf8)
        }
    }

    /// `text.debugDescription`, quoted and escaped.
    ///
    /// Printable ASCII other than quotes and the backslash stands as it is there, so an address (nearly
    /// every quoted value) is copied between quotes; anything else goes through
    /// the standard library, which looks at it character by character (5,200 instructions for one
    /// recipient, callgrind).
    private static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        let plain = text.utf8.allSatisfy { octet in
            octet >= 0x20 && octet < 0x7F && octet != UInt8(ascii: "\"") && octet != UInt8(ascii: "'")
                && octet != UInt8(ascii: "\\")
        }
        guard plain else { return line.append(contentsOf: text.debugDescription.utf8) }
        line.append(UInt8(ascii: "\""))
        line.append(contentsOf: text.utf8)
        line.append(UInt8(ascii: "\""))
    }

    /// One writer at a time, so that lines from several threads never interleave.
    private static let lock = Mutex(())

    /// The whole line with write(2), retried after a signal or a partial write.
    ///
    /// A reader that went away (journald restarted, `| head`) costs the line, not the server.
    private static func standardError(_ line: [UInt8]) {
        lock.withLock { _ in
            line.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(STDERR_FILENO, base + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }
}

/// The local time of a log line, `2026-12-07T19:36:56+0000`, formatted once per second.
enum LocalTimestamp {
    private static let cache = Mutex<(second: time_t, text: [UInt8])>((-1, []))

    static func append(to line: inout [UInt8]) {
        let now = time(nil)
        let text = cache.withLock { cached -> [UInt8] in
            if cached.second != now { cached = (now, format(now)) }
            return cached.text
        }
        line.append(contentsOf: text)
    }

    /// strftime's `%Y-%m-%dT%H:%M:%S%z` of the local time, as StreamLogHandler formats it.
    static func format(_ second: time_t) -> [UInt8] {
        var seconds = second
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return Array("<unknown>".utf8) }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return buffer[..<count].map { UInt8(bitPattern: $0) }
    }
}
