import Foundation
import MailTestSupport
import Testing

/// A real peer run once: a command with the message on standard input, its output and exit status
/// collected through files (no pipes to fill up), killed after `timeout`.
struct Peer {
    var status: Int32
    var output: String
    var errors: String

    static func find(_ name: String) -> String? {
        let folders =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `program` (a name on PATH) or records an issue saying how to install it.
    static func run(
        _ program: String,
        _ arguments: [String],
        input: [UInt8] = [],
        install: String,
        timeout: Duration = .seconds(30)
    ) async throws -> Peer? {
        guard let path = find(program) else {
            Issue.record("\(program) is not installed: run scripts/install-test-deps.sh (\(install))")
            return nil
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("correo-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("in")
        let outputFile = folder.appendingPathComponent("out")
        let errorFile = folder.appendingPathComponent("err")
        try Data(input).write(to: inputFile)
        try Data().write(to: outputFile)
        try Data().write(to: errorFile)
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("\(program) did not finish within \(timeout)")
        }
        process.waitForExit()
        return Peer(
            status: process.terminationStatus,
            output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }
}
