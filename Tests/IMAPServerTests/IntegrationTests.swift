import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import NIOSSL
import Testing

@testable import IMAPServer

/// A real server on 127.0.0.1 port 0 over an empty store of each backend (a temporary Maildir, or a
/// private PostgreSQL server with a Maildir store beside it for the spool), with one user.
private struct RunningServer {
    /// The users, their mailboxes and their mail.
    let backend: any MailStorageBackend
    let server: IMAPServer
    let port: Int
    let ports: [Int]
    static let user = "bob@example.org"
    static let password = "secret pass"

    static func with(
        _ kind: StorageBackend,
        tls: TestTLS? = nil,
        _ body: (RunningServer) async throws -> Void
    ) async throws {
        try await kind.with { backend in
            try await TemporaryDirectory.with { spool in
                try await backend.addUser(user, password: password)
                var context: NIOSSLContext?
                var listeners: [IMAPServer.Listener] = [.init(kind: .startTLS, host: "127.0.0.1", port: 0)]
                if let tls {
                    context = try NIOSSLContext(
                        configuration: .makeServerConfiguration(
                            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map {
                                .certificate($0)
                            },
                            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
                        )
                    )
                    listeners.append(.init(kind: .implicitTLS, host: "127.0.0.1", port: 0))
                }
                let server = IMAPServer.serving(
                    backend,
                    spool: spool.url,
                    configuration: .init(
                        allowPlaintextAuth: tls == nil,
                        // The clients here log in late on a loaded machine: a refused LOGIN, STARTTLS and a
                        // debug build's handshake once took the default 60 s before login (a CI run's
                        // autologout BYE).
                        defences: .init(loginTimeoutSeconds: 600)
                    ),
                    tlsContext: context,
                    label: "imap-test"
                )
                let ports = try await server.start(listeners: listeners)
                let running = RunningServer(backend: backend, server: server, port: ports[0], ports: ports)
                do {
                    try await body(running)
                } catch {
                    try? await server.shutdown()
                    throw error
                }
                try? await server.shutdown()
            }
        }
    }

    /// Delivers `bytes` to the user's INBOX, as SMTP would.
    func deliver(_ bytes: [UInt8]) async throws {
        let results = try await backend.deliverToInboxes(bytes, users: [Self.user])
        #expect(results.allSatisfy { $0.failure == nil })
    }

    /// The user's INBOX and its messages as the store has them now.
    func inbox() async throws -> (mailbox: any MailboxHandle, messages: [MailboxMessage]) {
        let inbox = try await backend.openMailbox(user: Self.user, name: .inbox)
        return (inbox, try await inbox.look(since: nil, claimRecent: false).messages ?? [])
    }
}

private let interopFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("interop/imap")

private func python(_ script: String, _ arguments: [String]) throws -> (process: SpawnedProcess, pipe: Pipe) {
    let process = SpawnedProcess()
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

@Suite(.offThePool, .timeLimit(.minutes(5))) struct IntegrationTests {
    @Test(arguments: StorageBackend.allCases)
    func thunderbirdFirstSyncWithImaplib(_ backend: StorageBackend) async throws {
        try await RunningServer.with(backend) { running in try await Self.thunderbirdFirstSync(running) }
    }

    private static func thunderbirdFirstSync(_ running: RunningServer) async throws {
        for i in 1...3 { try await running.deliver(message("Message \(i)", body: "Body \(i) caf\u{e9}\r\n")) }
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
            process.waitForExit()
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
        let (mailbox, records) = try await running.inbox()
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
        #expect(try await running.inbox().messages.allSatisfy { !$0.flags.contains(.seen) })
    }

    @Test(arguments: StorageBackend.allCases)
    func idleSeesADelivery(_ backend: StorageBackend) async throws {
        try await RunningServer.with(backend) { running in try await Self.idleSeesADelivery(running) }
    }

    private static func idleSeesADelivery(_ running: RunningServer) async throws {
        try await running.deliver(message("First"))
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
        try await running.deliver(message("Second"))
        while !output.contains("EXISTS") {
            let data = await blocking { reader.availableData }
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
        }
        let process = run.process
        // The rest of what the script printed (a traceback when it failed) says why, should it fail.
        output += String(decoding: await blocking { reader.readDataToEndOfFile() }, as: UTF8.self)
        await blocking { process.waitForExit() }
        #expect(output.contains("EXISTS 2"), "\(output)")
        #expect(run.process.terminationStatus == 0, "\(output)")
    }

    @Test(arguments: StorageBackend.allCases)
    func everyCommandWithImaplib(_ backend: StorageBackend) async throws {
        try await RunningServer.with(backend) { running in try await Self.everyCommand(running) }
    }

    private static func everyCommand(_ running: RunningServer) async throws {
        let run = try python(
            "all_commands.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitForExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("ALL OK"), "\(log)")
        #expect(process.terminationStatus == 0)
    }

    @Test(arguments: StorageBackend.allCases)
    func startTLSAndImplicitTLSWithImaplib(_ backend: StorageBackend) async throws {
        let certificates = try TemporaryDirectory()
        defer { certificates.remove() }
        let tls = try TestTLS.make(in: certificates)
        try await RunningServer.with(backend, tls: tls) { running in try await Self.startTLSAndImplicitTLS(running) }
    }

    private static func startTLSAndImplicitTLS(_ running: RunningServer) async throws {
        let run = try python(
            "tls_check.py",
            ["127.0.0.1", "\(running.ports[0])", "\(running.ports[1])", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitForExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("TLS OK"), "\(log)")
    }

    @Test(arguments: StorageBackend.allCases)
    func twoSessionsSeeEachOthersChanges(_ backend: StorageBackend) async throws {
        try await RunningServer.with(backend) { running in try await Self.twoSessions(running) }
    }

    private static func twoSessions(_ running: RunningServer) async throws {
        for i in 1...3 { try await running.deliver(message("Shared \(i)")) }
        let run = try python(
            "two_sessions.py",
            ["127.0.0.1", "\(running.port)", RunningServer.user, RunningServer.password]
        )
        let process = run.process
        let handle = run.pipe.fileHandleForReading
        let log = await blocking {
            let data = handle.readDataToEndOfFile()
            process.waitForExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("SESSIONS OK"), "\(log)")
        // Both sessions logged out: the server forgets their connections (it may take a moment to see the close).
        let deadline = ContinuousClock.now + .seconds(60)
        while running.server.connectionCount > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(running.server.connectionCount == 0)
    }
}
