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
    private let handle: FileHandle
    private let jsonLines: Bool
    private let lock = NSLock()

    /// Creates (or truncates) the report file and writes the CSV header row.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let lowercased = path.lowercased()
        jsonLines = lowercased.hasSuffix(".jsonl") || lowercased.hasSuffix(".json")
        if !jsonLines { write("row,address,status,reply,message_id\r\n") }
    }

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

    /// Closes the file.
    public func close() {
        lock.withLock { try? handle.close() }
    }

    private func write(_ text: String) {
        lock.withLock { handle.write(Data(text.utf8)) }
    }

    /// A field quoted when it holds a comma, quote or line break (RFC 4180 §2).
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
