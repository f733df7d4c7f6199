import Foundation

/// What happened to one row.
public struct RowOutcome: Sendable, Hashable, Codable {
    /// `sent`, `failed` or `skipped`.
    public enum Status: String, Sendable, Hashable, Codable {
        case sent, failed, skipped
    }

    /// The data row, from 1.
    public var row: Int
    /// The row's address.
    public var address: String
    /// What happened.
    public var status: Status
    /// The server's reply (exact text), or why the row was not sent.
    public var reply: String
    /// The message's Message-ID, when one was made.
    public var messageID: String?

    enum CodingKeys: String, CodingKey {
        case row, address, status, reply
        case messageID = "message_id"
    }

    /// Creates an outcome.
    public init(row: Int, address: String, status: Status, reply: String, messageID: String? = nil) {
        self.row = row
        self.address = address
        self.status = status
        self.reply = reply
        self.messageID = messageID
    }
}

/// The per-recipient report file.
///
/// It is CSV (RFC 4180, with a header row), or JSON lines when the name ends in `.jsonl` or `.json`. Each
/// outcome is written as it happens, so an interrupted run leaves a report.
public final class MergeReportWriter: @unchecked Sendable {
    private let file: Int32
    private let path: String
    private let jsonLines: Bool
    private let lock = NSLock()
    private var firstFailure: ReportWriteFailure?

    /// Creates (or truncates) the report file and writes the CSV header row.
    ///
    /// The path is opened with open(2) and written through: a symlink, a FIFO or `/dev/stdout` gets the
    /// report. (FileManager's createFile writes a temporary file and renames it over the path, which would
    /// replace such a path rather than write to it.)
    public init(path: String) throws(ReportWriteFailure) {
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw ReportWriteFailure(path: path, code: errno) }
        file = opened
        self.path = path
        let lowercased = path.lowercased()
        jsonLines = lowercased.hasSuffix(".jsonl") || lowercased.hasSuffix(".json")
        if !jsonLines {
            write("row,address,status,reply,message_id\r\n")
            if let firstFailure {
                Glibc.close(opened)
                throw firstFailure
            }
        }
    }

    deinit { Glibc.close(file) }

    /// The first write that failed (a full disk, a reader gone), after which every outcome is dropped:
    /// a report with rows missing in the middle would be no record of what was sent, so the caller stops.
    public var failure: ReportWriteFailure? { lock.withLock { firstFailure } }

    /// Appends one outcome.
    public func record(_ outcome: RowOutcome) {
        if jsonLines {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(outcome) else { return }
            write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            let fields = [
                "\(outcome.row)", outcome.address, outcome.status.rawValue, outcome.reply,
                outcome.messageID ?? "",
            ]
            write(fields.map(Self.csvField).joined(separator: ",") + "\r\n")
        }
    }

    /// Writes every byte of `text`, retrying short writes and EINTR; the first error is kept.
    private func write(_ text: String) {
        lock.withLock {
            guard firstFailure == nil else { return }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    firstFailure = ReportWriteFailure(path: path, code: errno)
                    return
                }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    /// A field quoted when it holds a comma, quote or line break (RFC 4180 §2).
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The report file could not be opened or written.
public struct ReportWriteFailure: Error, Sendable, CustomStringConvertible {
    /// The report's path.
    public var path: String
    /// The errno of the failed call.
    public var code: Int32

    /// "cannot write the report PATH: No space left on device".
    public var description: String { "cannot write the report \(path): \(String(cString: strerror(code)))" }
}
