import CorreoServer
import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import SMTPServer

/// A real SMTP server on 127.0.0.1, on free ports, with a TLS certificate from TestTLS, for tests that
/// drive it with real clients.
final class LiveServer: Sendable {
    let server: SMTPServer
    let directory: TemporaryDirectory
    let tls: TestTLS
    let store: MailStore
    let ports: [SMTPListenerKind: Int]

    var mx: Int { ports[.mx] ?? 0 }
    var submission: Int { ports[.submission] ?? 0 }
    var submissions: Int { ports[.submissions] ?? 0 }

    static let users: Set<String> = ["bob@example.test", "alice@example.test", "josé@example.test"]

    private init(
        server: SMTPServer,
        directory: TemporaryDirectory,
        tls: TestTLS,
        store: MailStore,
        ports: [SMTPListenerKind: Int]
    ) {
        self.server = server
        self.directory = directory
        self.tls = tls
        self.store = store
        self.ports = ports
    }

    static func start(
        allowPlaintextAuth: Bool = false,
        configure: (inout SMTPServerConfiguration) -> Void = { _ in }
    ) async throws -> LiveServer {
        let directory = try TemporaryDirectory(prefix: "correo-smtp")
        let tls = try TestTLS.make(in: directory)
        let context = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
            )
        )
        var configuration = SMTPServerConfiguration(
            hostname: "mx.example.test",
            localDomains: ["example.test"],
            allowPlaintextAuth: allowPlaintextAuth,
            authenticationFailureDelay: .milliseconds(10)
        )
        configure(&configuration)
        // The original's plain `email:password` lines: hashing each password would only slow the tests.
        let store = MailStore(root: directory.url.appendingPathComponent("storage"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        try Data(users.sorted().map { "\($0):secret\n" }.joined().utf8)
            .write(to: store.root.appendingPathComponent("passwords.txt"))
        for user in users { try store.createUserMaildir(user) }
        let server = SMTPServer(
            configuration: configuration,
            store: store,
            tlsContext: context,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "smtp-test")
        )
        let bound = try await server.start(
            listeners: SMTPListenerKind.allCases.map { SMTPListener(kind: $0, host: "127.0.0.1", port: 0) }
        )
        let ports = Dictionary(uniqueKeysWithValues: bound.map { ($0.kind, $0.port) })
        return LiveServer(server: server, directory: directory, tls: tls, store: store, ports: ports)
    }

    func stop() async {
        await server.shutdown(graceful: false)
        directory.remove()
    }

    /// The messages in `user`'s INBOX (new/ and cur/), as bytes, oldest first.
    func messages(for user: String) -> [[UInt8]] {
        guard let folder = try? store.userDirectory(for: user) else { return [] }
        var files: [URL] = []
        for sub in ["new", "cur"] {
            let url = folder.appendingPathComponent(sub)
            files += (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
        }
        return files.sorted { $0.lastPathComponent < $1.lastPathComponent }
            .compactMap { try? Data(contentsOf: $0) }.map { Array($0) }
    }

    /// Writes `bytes` to a file in the test folder and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.url.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}

/// The outcome of running a program.
struct ProcessResult: Sendable {
    var status: Int32
    var output: String
}

enum ExternalTool {
    /// The repository root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func script(_ name: String) -> String { root.appendingPathComponent("interop/smtp/\(name)").path }

    enum Missing: Error, CustomStringConvertible {
        case tool(String, install: String)
        var description: String {
            switch self {
            case .tool(let name, let install): "\(name) is not installed; install it with: \(install)"
            }
        }
    }

    /// Finds `name` on PATH, or fails with how to install it (tests never skip silently).
    static func locate(_ name: String, install: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Missing.tool(name, install: install)
    }

    static func python(_ script: String, _ arguments: [String]) async throws -> ProcessResult {
        let python = try locate("python3", install: "apt-get install -y python3")
        return try await run(python, [self.script(script)] + arguments)
    }

    static func swaks(_ arguments: [String]) async throws -> ProcessResult {
        let swaks = try locate("swaks", install: "apt-get install -y swaks")
        return try await run(swaks, arguments)
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile())
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitForExit()
                continuation.resume()
            }
        }
        return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

extension Array where Element == UInt8 {
    /// Whether the stored message is `sent` with exactly the trace headers the server adds in front.
    func isStored(_ sent: [UInt8], from sender: String, with protocolName: String) -> Bool {
        guard count > sent.count, Array(self[(count - sent.count)...]) == sent else { return false }
        let trace = String(decoding: self[..<(count - sent.count)], as: UTF8.self)
        return trace.hasPrefix("Return-Path: <\(sender)>\r\nReceived: from ")
            && trace.contains(" ([127.0.0.1])\r\n\tby mx.example.test (correo) with \(protocolName) id ")
            && trace.hasSuffix(" +0000\r\n")
            && trace.components(separatedBy: "\r\n").filter { !$0.hasPrefix("\t") && !$0.isEmpty }.count == 2
    }
}
