import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix

@testable import IMAPServer

/// An IMAP server on a new store with one user, for tests that drive it with a `ScriptedIMAPClient`.
struct ScriptedIMAPServer {
    let directory: TemporaryDirectory
    let store: MailStore
    let server: IMAPServer
    let port: Int

    /// Starts a server on 127.0.0.1 (any free port) over a new store in which `user` has an empty INBOX.
    static func start(user: String, password: String, label: String) async throws -> ScriptedIMAPServer {
        let directory = try TemporaryDirectory(prefix: label)
        let store = MailStore(root: directory.url.appendingPathComponent("mail"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        try store.users.add(user, password: password)
        try store.createUserMaildir(user)
        let server = IMAPServer(
            configuration: .init(allowPlaintextAuth: true),
            store: store,
            tlsContext: nil,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: label)
        )
        let port = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])[0]
        return ScriptedIMAPServer(directory: directory, store: store, server: server, port: port)
    }

    /// Stops the server and removes the store.
    func stop() async {
        try? await server.shutdown()
        directory.remove()
    }
}

/// A Python client in a child process: the test reads its output up to a line it prints when it is
/// ready (`waitFor`), acts on the server, then lets it go on (`goOn`) and reads the rest.
///
/// Its standard error goes into the same output, so a client that fails says why in the test's message.
final class ScriptedIMAPClient {
    private let process = SpawnedProcess()
    private let input = Pipe()
    private let reader: FileHandle
    /// Everything the client printed so far.
    private(set) var output = ""

    /// Runs `script` with `arguments` (as `sys.argv[1...]`).
    init(script: String, arguments: [String]) throws {
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.standardInput = input
        process.standardOutput = stdout
        process.standardError = stdout
        reader = stdout.fileHandleForReading
        try process.run()
    }

    /// Reads until the output holds `line` (true), or the client ended first (false).
    func waitFor(_ line: String) async throws -> Bool {
        let reader = self.reader
        while !output.contains(line) {
            let data = try await OffThePool.run { reader.availableData }
            if data.isEmpty { return false }
            output += String(decoding: data, as: UTF8.self)
        }
        return true
    }

    /// Sends the line the script waits for, reads to the end and waits for the client to exit; returns
    /// its exit status.
    func goOn() async throws -> Int32 {
        // A client that died early closed the pipe (the throwing write, not the trapping one).
        try? input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        let (reader, process) = (self.reader, self.process)
        let rest = try await OffThePool.run {
            let data = reader.readDataToEndOfFile()
            process.waitForExit()
            return data
        }
        output += String(decoding: rest, as: UTF8.self)
        return process.terminationStatus
    }
}
