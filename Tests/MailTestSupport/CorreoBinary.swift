import Foundation

/// The built `correo` executable, run as a real subprocess the way a user or a script runs it.
public enum CorreoBinary {
    /// The package's root folder, found from this file's own path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MailTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The executable that `swift build` put beside the test bundle (debug or release, whichever runs).
    public static var url: URL {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let beside = bundle.appendingPathComponent("correo")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/correo")
    }

    /// What a finished run printed and how it exited.
    public struct Result: Sendable {
        /// The exit status.
        public let status: Int32
        /// Standard output, decoded as UTF-8.
        public let standardOutput: String
        /// Standard error, decoded as UTF-8.
        public let standardError: String
    }

    /// Runs `correo ARGUMENTS`, feeding `input` to its standard input, and waits for it to exit.
    public static func run(
        _ arguments: [String],
        input: String = "",
        environment: [String: String] = [:],
        currentDirectory: URL? = nil
    ) throws -> Result {
        let process = SpawnedProcess()
        process.executableURL = url
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // A child that exits before it reads (a refused argument) closes the pipe: the throwing write
        // says EPIPE, where the older `write(_:)` traps and takes the whole test process down.
        if !input.isEmpty { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes on their own threads so a chatty child cannot fill one and block.
        let output = PipeReader(stdout.fileHandleForReading)
        let errors = PipeReader(stderr.fileHandleForReading)
        process.waitForExit()
        return Result(status: process.terminationStatus, standardOutput: output.text(), standardError: errors.text())
    }
}

/// Drains a pipe on a background thread until end of file.
private final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
