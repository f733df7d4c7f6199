import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import NIOSSL
import Testing

@testable import IMAPServer

/// A real server on 127.0.0.1 port 0 over a temporary Maildir, with one user.
private struct RunningServer {
    let directory: TemporaryDirectory
    let store: MailStore
    let server: IMAPServer
    let port: Int
    let ports: [Int]
    static let user = "bob@example.org"
    static let password = "secret pass"

    static func start(tls: TestTLS? = nil) async throws -> RunningServer {
        let directory = try TemporaryDirectory()
        let store = MailStore(root: directory.url.appendingPathComponent("mail"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        try store.users.add(user, password: password)
        try store.createUserMaildir(user)
        var context: NIOSSLContext?
        var listeners: [IMAPServer.Listener] = [.init(kind: .startTLS, host: "127.0.0.1", port: 0)]
        if let tls {
            context = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
                )
            )
            listeners.append(.init(kind: .implicitTLS, host: "127.0.0.1", port: 0))
        }
        let server = IMAPServer(
            configuration: .init(
                allowPlaintextAuth: tls == nil,
                // The clients here log in late on a loaded machine: a refused LOGIN, STARTTLS and a debug
                // build's handshake once took the default 60 s before login (a CI run's autologout BYE).
                defences: .init(loginTimeoutSeconds: 600)
            ),
            store: store,
            tlsContext: context,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "imap-test")
        )
        let ports = try await server.start(listeners: listeners)
        return RunningServer(directory: directory, store: store, server: server, port: ports[0], ports: ports)
    }

    func stop() async {
        try? await server.shutdown()
        directory.remove()
    }
}

private let interopFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("interop/imap")

private func python(_ script: String, _ arguments: [String]) throws -> (process: Process, pipe: Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", interopFolder.appendingPathComponent(script).path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    return (process, pipe)
}

/// Runs blocking work (waiting for a process, reading its pipe) off Swift's cooperative threads, which the
/// server under test needs.
private func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

private func message(_ subject: String, body: String = "Hello there.\r\n") -> [UInt8] {
    Array(
        ("From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: \(subject)\r\n"
            + "Date: Tue, 5 Mar 2024 10:20:30 +0100\r\nMessage-ID: <\(subject.hashValue)@example.org>\r\n"
            + "X-Other: not asked for\r\n\r\n" + body).utf8
    )
}

@Suite(.offThePool) struct IntegrationTests {
    @Test func thunderbirdFirstSyncWithImaplib() async throws {
        let running = try await RunningServer.start()
        defer { Task { await running.stop() } }
        for i in 1...3 {
            _ = try await running.store.deliver(
                bytes: message("Message \(i)", body: "Body \(i) caf\u{e9}\r\n"),
                to: [RunningServer.user]
            )
        }
        let out = try TemporaryDirectory()
        defer { out.remove() }
        let run = try python(
            "first_sync.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password, out.path]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(run.process.terminationStatus == 0, "\(log)")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.url.appendingPathComponent("result.json")))
            as? [String: Any]
        let result = try #require(json)
        #expect(result["exists"] as? Int == 3)
        let list = try #require(result["list"] as? [String])
        #expect(list.contains { $0.hasSuffix("\"/\" INBOX") })
        let messages = try #require(result["messages"] as? [[String: Any]])
        #expect(messages.count == 3)
        let mailbox = try await running.store.mailbox(user: RunningServer.user, name: .inbox)
        let records = await mailbox.snapshot()
        #expect(messages.compactMap { $0["uid"] as? Int } == records.map { Int($0.uid) })
        #expect(result["search_all"] as? [Int] == records.map { Int($0.uid) })
        for record in records {
            let onDisk = try await mailbox.readMessage(uid: record.uid)
            let fetched = try [UInt8](Data(contentsOf: out.url.appendingPathComponent("\(record.uid).eml")))
            #expect(fetched == onDisk)
            let header = String(
                decoding: try Data(contentsOf: out.url.appendingPathComponent("\(record.uid).hdr")),
                as: UTF8.self
            )
            #expect(header.hasSuffix("\r\n\r\n"))
            #expect(header.contains("Subject: Message"))
            #expect(!header.contains("X-Other"))
            #expect(messages.first { $0["uid"] as? Int == Int(record.uid) }?["size"] as? Int == record.size)
        }
        // BODY.PEEK must not have set \Seen.
        #expect(await mailbox.snapshot().allSatisfy { !$0.flags.contains(.seen) })
    }

    @Test func idleSeesADelivery() async throws {
        let running = try await RunningServer.start()
        defer { Task { await running.stop() } }
        _ = try await running.store.deliver(bytes: message("First"), to: [RunningServer.user])
        let run = try python(
            "idle_wait.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password]
        )
        let reader = run.pipe.fileHandleForReading
        var output = ""
        while !output.contains("IDLING") {
            let data = await blocking { reader.availableData }
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
        }
        #expect(output.contains("IDLING"), "\(output)")
        _ = try await running.store.deliver(bytes: message("Second"), to: [RunningServer.user])
        while !output.contains("EXISTS") {
            let data = await blocking { reader.availableData }
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
        }
        let process = run.process
        // The rest of what the script printed (a traceback when it failed) says why, should it fail.
        output += String(decoding: await blocking { reader.readDataToEndOfFile() }, as: UTF8.self)
        await blocking { process.waitUntilExit() }
        #expect(output.contains("EXISTS 2"), "\(output)")
        #expect(run.process.terminationStatus == 0, "\(output)")
    }

    @Test func everyCommandWithImaplib() async throws {
        let running = try await RunningServer.start()
        defer { Task { await running.stop() } }
        let run = try python(
            "all_commands.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("ALL OK"), "\(log)")
        #expect(process.terminationStatus == 0)
    }

    @Test func startTLSAndImplicitTLSWithImaplib() async throws {
        let certificates = try TemporaryDirectory()
        defer { certificates.remove() }
        let running = try await RunningServer.start(tls: try TestTLS.make(in: certificates))
        defer { Task { await running.stop() } }
        let run = try python(
            "tls_check.py",
            ["127.0.0.1", "\(running.ports[0])", "\(running.ports[1])", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("TLS OK"), "\(log)")
    }

    @Test func twoSessionsSeeEachOthersChanges() async throws {
        let running = try await RunningServer.start()
        defer { Task { await running.stop() } }
        for i in 1...3 { _ = try await running.store.deliver(bytes: message("Shared \(i)"), to: [RunningServer.user]) }
        let run = try python(
            "two_sessions.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("SESSIONS OK"), "\(log)")
        // Both sessions logged out: the server forgets their connections (it may take a moment to see the close).
        for _ in 0..<200 where running.server.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(running.server.connectionCount == 0)
    }
}
