import Foundation
import MailTestSupport

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// A subprocess whose standard output and error are collected as they arrive.
final class ChildProcess: @unchecked Sendable {
    let process = SpawnedProcess()
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
    ///
    /// Once the process has ended its pipes get 5 s more to report their end: a grandchild that kept a
    /// pipe open, or an end of file the readability handler never saw, must not hold the test until its
    /// deadline (seen under load: a 10 s run waiting 240 s).
    func waitForExit(seconds: Double) async throws -> Int32? {
        guard try await waitUntil(seconds: seconds, { !self.isRunning }) else { return nil }
        _ = try await waitUntil(seconds: 5) { self.output.isComplete && self.errors.isComplete }
        return process.terminationStatus
    }

    /// Sends SIGTERM, waits up to 15 s, then SIGKILL; returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if isRunning { process.terminate() }
        if let status = try? await waitForExit(seconds: 15) { return status }
        kill(process.processIdentifier, SIGKILL)
        _ = try? await waitUntil(seconds: 120) { !self.isRunning }
        return process.terminationStatus
    }
}

/// Everything a pipe delivered so far, read by a thread of its own so that a chatty child never blocks.
///
/// Plain blocking reads on a thread, not a `readabilityHandler`: with the handler, a dispatch source
/// watched the descriptor, and a descriptor closed while its source was still registered crashed the
/// whole test process in libdispatch's `_dispatch_event_loop_drain` (seen in two full runs, however the
/// handle's life was arranged). The thread holds the handle, and so its descriptor, until the end of file.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var ended = false

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                lock.withLock { data.append(contentsOf: buffer[0..<count]) }
            }
            lock.withLock { ended = true }
            withExtendedLifetime(handle) {}
        }
        thread.name = "child-output"
        thread.start()
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Whether the writer closed the pipe and everything it wrote has been read.
    var isComplete: Bool { lock.withLock { ended } }
}

/// Polls `condition` every 20 ms for at most `seconds`; true as soon as it holds.
func waitUntil(seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// TCP ports on 127.0.0.1, found and probed with plain sockets.
enum LoopbackPort {
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

    /// Whether process `pid` itself listens on `port`, on any address of IPv4 or IPv6.
    ///
    /// That is a listening socket of /proc/net/tcp or tcp6 whose inode is one of the process's
    /// descriptors. `accepts` cannot tell a server from another test's that took the port in between
    /// (that one answers, and ours exits "already in use" a moment later).
    ///
    /// The process's sockets are listed first, and the tables read only when it has one: they hold every
    /// socket of the machine (thousands in the test suite, most in TIME-WAIT), and parsing them on each
    /// of a start's 20 ms polls cost about 20 s of CPU in a whole run, on threads the other tests wait for.
    static func isListening(_ port: Int, by pid: Int32) -> Bool {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else {
            return false
        }
        let sockets = Set(
            descriptors.compactMap { descriptor in
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)")
            }.filter { $0.hasPrefix("socket:[") }
        )
        guard !sockets.isEmpty else { return false }
        let suffix = String(format: ":%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file, whose
            // size the kernel reports as 0.
            guard let handle = FileHandle(forReadingAtPath: table) else { continue }
            defer { try? handle.close() }
            let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            // Fields: sl, local address, remote address, state (0A: LISTEN), queues, timer,
            // retransmits, uid, timeout, inode.
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[1].hasSuffix(suffix), fields[3] == "0A" else { continue }
                if sockets.contains("socket:[\(fields[9])]") { return true }
            }
        }
        return false
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

struct EndToEndFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `correo` server subcommand on free loopback ports, started again on other ports when one picked was
/// taken meanwhile by a parallel test ("already in use").
struct CorreoServerProcess {
    let process: ChildProcess
    /// The ports it listens on, in the order `arguments` was given them.
    let ports: [Int]
    var port: Int { ports[0] }
    var log: String { process.errors.text }

    /// Starts `correo ARGUMENTS(ports)` and waits until every port accepts connections.
    static func start(ports count: Int = 1, _ arguments: ([Int]) -> [String]) async throws -> CorreoServerProcess {
        var lastLog = ""
        for _ in 0..<5 {
            var ports: [Int] = []
            while ports.count < count {
                let port = try LoopbackPort.free()
                if !ports.contains(port) { ports.append(port) }
            }
            let process = try ChildProcess([CorreoBinary.url.path] + arguments(ports), direct: true)
            let ready = try await waitUntil(seconds: 120) {
                !process.isRunning
                    || ports.allSatisfy { LoopbackPort.isListening($0, by: process.process.processIdentifier) }
            }
            if ready && process.isRunning { return CorreoServerProcess(process: process, ports: ports) }
            await process.stop()
            lastLog = process.errors.text
            if !lastLog.contains("already in use") { break }
        }
        throw EndToEndFailure("correo did not start: \(lastLog)")
    }

    /// SIGTERM, then a bounded wait; returns the exit status.
    @discardableResult
    func stop() async -> Int32 { await process.stop() }
}

/// Runs `arguments` (looked up on PATH) to its end, for at most `seconds`; its standard output.
func outputOf(_ arguments: [String], seconds: Double = 30) async throws -> String {
    let child = try ChildProcess(arguments)
    guard try await child.waitForExit(seconds: seconds) != nil else {
        await child.stop()
        throw EndToEndFailure("timed out: \(arguments)")
    }
    return child.output.text
}
