import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// The whole path a user sees: swaks hands a message to the real `correo serve` over SMTP, and a Python
/// imaplib session that is IDLEing on the same server's INBOX is told about it and fetches the same bytes.
@Suite struct EndToEndTests {
    /// Issue 4: "a message sent with swaks to `correo serve` appears in an IDLEing imaplib session and its
    /// bytes fetched by IMAP equal the bytes sent (plus trace headers)".
    @Test(.timeLimit(.minutes(3)))
    func swaksMessageReachesAnIdlingIMAPSessionByteForByte() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-e2e-storage")
        defer { storage.remove() }
        let work = try TemporaryDirectory(prefix: "correo-e2e-work")
        defer { work.remove() }

        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage.path, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")

        let message = Self.message()
        let messageFile = work.url.appendingPathComponent("message.eml")
        try message.write(to: messageFile)
        // swaks ends DATA with its own CRLF before the final dot, which would add an empty line to a message
        // that already ends with CRLF; a closing "." line (documented as allowed) is taken as the end instead.
        let swaksData = work.url.appendingPathComponent("swaks-data.eml")
        try (message + Data(".\r\n".utf8)).write(to: swaksData)
        let fetchedFile = work.url.appendingPathComponent("fetched.eml")

        let server = try await ServeProcess.start(storage: storage.path)
        let client = try ChildProcess(
            [
                "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/e2e/idle_fetch.py").path,
                "127.0.0.1", String(server.imapPort), "bob@localhost", "bob's pass", fetchedFile.path,
            ]
        )
        do {
            let idling = try await waitUntil(seconds: 30) { client.output.text.contains("IDLING") || !client.isRunning }
            try #require(
                idling && client.isRunning,
                "imaplib never reached IDLE: \(client.output.text) \(client.errors.text) \(server.log.text)"
            )

            let swaks = try ChildProcess(
                [
                    "swaks", "--server", "127.0.0.1:\(server.smtpPort)", "--to", "bob@localhost",
                    "--from", "alice@example.org", "--helo", "client.example.org", "--data", "@" + swaksData.path,
                ]
            )
            var swaksStatus = try await swaks.waitForExit(seconds: 30)
            if swaksStatus == nil { swaksStatus = await swaks.stop() }
            // swaks exits 0 only when every reply, the one to the end of DATA included, was a success.
            try #require(swaksStatus == 0, "swaks: \(swaks.output.text) \(swaks.errors.text)")

            let clientStatus = try await client.waitForExit(seconds: 60)
            try #require(clientStatus == 0, "imaplib: \(client.output.text) \(client.errors.text) \(server.log.text)")
        } catch {
            await client.stop()
            await server.stop()
            throw error
        }
        let serverStatus = await server.stop()
        #expect(serverStatus == 0, "correo serve did not shut down cleanly on SIGTERM: \(server.log.text)")

        // The IDLEing session was told about the delivery without asking.
        #expect(client.output.text.contains("EXISTS 1\n"))

        // What IMAP returns is the sent message, byte for byte, behind correo's two trace fields.
        let fetched = try Data(contentsOf: fetchedFile)
        try #require(fetched.count > message.count && fetched.suffix(message.count) == message)
        let trace = String(decoding: fetched.prefix(fetched.count - message.count), as: UTF8.self)
        let returnPath = "Return-Path: <alice@example.org>\r\n"
        try #require(trace.hasPrefix(returnPath), "\(trace)")
        let receivedLines = trace.dropFirst(returnPath.count).components(separatedBy: "\r\n")
        #expect(receivedLines.last == "")
        #expect(receivedLines.first?.hasPrefix("Received: from client.example.org ([127.0.0.1])") == true)
        // Every further line folds the one Received: field, so no other header field was added.
        #expect(receivedLines.dropFirst().dropLast().allSatisfy { $0.hasPrefix("\t") || $0.hasPrefix(" ") })
        #expect(trace.contains("for <bob@localhost>;"))

        // The Maildir holds exactly the bytes IMAP served.
        let maildir = storage.url.appendingPathComponent("bob@localhost")
        let stored = try ["new", "cur"].flatMap { sub in
            try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent(sub).path)
                .map { maildir.appendingPathComponent(sub).appendingPathComponent($0) }
        }
        try #require(stored.count == 1, "\(stored)")
        #expect(try Data(contentsOf: stored[0]) == fetched)
    }

    /// A CRLF message with an 8-bit UTF-8 body line and lines that need SMTP dot-stuffing (RFC 5321 4.5.2):
    /// one starting with ".", one starting with "..", and one that is only ".".
    static func message() -> Data {
        let lines = [
            "From: Alice <alice@example.org>",
            "To: Bob <bob@localhost>",
            "Subject: end-to-end check",
            "Date: Thu, 26 Nov 2026 18:00:00 +0000",
            "Message-ID: <\(UUID().uuidString)@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Hello Bob,",
            "Grüße aus Köln, ça va? 日本語のテキスト",
            ".a line that starts with a dot",
            "..and one that starts with two",
            ".",
            "Bye.",
        ]
        return Data(lines.map { $0 + "\r\n" }.joined().utf8)
    }
}

/// `correo serve` on two free loopback ports (SMTP and IMAP; the TLS and submission ports off).
private struct ServeProcess {
    let process: ChildProcess
    let smtpPort: Int
    let imapPort: Int
    var log: OutputCollector { process.errors }

    /// Starts the server and waits until both ports accept connections.
    ///
    /// A port picked free can be taken by another test before the server binds it; that start fails with
    /// "already in use" and is retried.
    static func start(storage: String) async throws -> ServeProcess {
        var lastLog = ""
        for _ in 0..<5 {
            let smtpPort = try LoopbackPort.free()
            var imapPort = try LoopbackPort.free()
            while imapPort == smtpPort { imapPort = try LoopbackPort.free() }
            let process = try ChildProcess(
                [
                    CorreoBinary.url.path, "serve", "-s", storage,
                    "--smtp-port", String(smtpPort), "--submission-port", "0", "--smtps-port", "0",
                    "--imap-port", String(imapPort), "--imaps-port", "0",
                    "--bind", "127.0.0.1", "--allow-plaintext-auth",
                ],
                direct: true
            )
            let ready = try await waitUntil(seconds: 30) {
                !process.isRunning || (LoopbackPort.accepts(imapPort) && LoopbackPort.accepts(smtpPort))
            }
            if ready && process.isRunning {
                return ServeProcess(process: process, smtpPort: smtpPort, imapPort: imapPort)
            }
            await process.stop()
            lastLog = process.errors.text
            if !lastLog.contains("already in use") { break }
        }
        throw EndToEndFailure("correo serve did not start: \(lastLog)")
    }

    /// SIGTERM, then a bounded wait; returns the exit status.
    @discardableResult
    func stop() async -> Int32 { await process.stop() }
}

/// A subprocess whose standard output and error are collected as they arrive.
private final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let output: OutputCollector
    let errors: OutputCollector

    /// Runs `arguments[0]`: looked up on PATH through /usr/bin/env unless `direct`.
    init(_ arguments: [String], direct: Bool = false) throws {
        if direct {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        output = OutputCollector(stdout)
        errors = OutputCollector(stderr)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Waits at most `seconds` for the process to end and its output to be read to the end; nil if it is
    /// still running.
    func waitForExit(seconds: Double) async throws -> Int32? {
        let ended = try await waitUntil(seconds: seconds) {
            !self.process.isRunning && self.output.isComplete && self.errors.isComplete
        }
        if ended || !process.isRunning { return process.terminationStatus }
        return nil
    }

    /// Sends SIGTERM, waits up to 15 s, then SIGKILL; returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        if let status = try? await waitForExit(seconds: 15) { return status }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Everything a pipe delivered so far, read on the pipe's own handler so a chatty child never blocks.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var ended = false

    init(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                lock.withLock { ended = true }
            } else {
                lock.withLock { data.append(chunk) }
            }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Whether the writer closed the pipe and everything it wrote has been read.
    var isComplete: Bool { lock.withLock { ended } }
}

/// Polls `condition` every 20 ms for at most `seconds`; true as soon as it holds.
private func waitUntil(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// TCP ports on 127.0.0.1, found and probed with plain sockets.
private enum LoopbackPort {
    /// A port the kernel just handed out for 127.0.0.1 and that is free again now.
    static func free() throws -> Int {
        let descriptor = socket(AF_INET, streamSocket, 0)
        guard descriptor >= 0 else { throw EndToEndFailure("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(descriptor, socketAddress, length) == 0 else { return false }
                return getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard named else { throw EndToEndFailure("bind/getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something is listening on `port`.
    static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, streamSocket, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let address = loopback(port: port)
        return withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                connect(descriptor, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

private struct EndToEndFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
