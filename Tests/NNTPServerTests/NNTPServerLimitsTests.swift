import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOCore
import NIOPosix
import NNTPServer
import ServerSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The server's limits over real sockets: the connection cap answers 400, an idle connection is ended
/// with 400, an endless line is cut off with 400, and shutdown says 400 to open connections.
///
/// Serialized: `LineClient` blocks a thread of the cooperative pool while it waits, and the store's answers
/// run on that pool too; two such tests at once on a 2-core machine left no thread for the answers.
@Suite(.offThePool, .serialized) struct NNTPServerLimitsTests {
    /// A server without TLS over `store`, on the shared event loops.
    private static func server(
        _ configuration: NNTPServer.Configuration,
        store: MailStore,
        throttle: AuthThrottle = AuthThrottle()
    ) -> NNTPServer {
        NNTPServer(
            configuration: configuration,
            news: BackendNewsStore(store: store, throttle: throttle, serverName: "test"),
            tlsContext: nil,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "nntp-test")
        )
    }

    private func withServer(
        _ configuration: NNTPServer.Configuration,
        throttle: AuthThrottle = AuthThrottle(),
        _ body: (NNTPServer, Int) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "correo-nntp-limits")
        defer { directory.remove() }
        let store = MailStore(root: directory.url)
        try await store.addNewsgroup(Newsgroup(name: "misc.test"))
        let server = Self.server(configuration, store: store, throttle: throttle)
        let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])
        do {
            try await body(server, ports[0])
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test(.timeLimit(.minutes(5)))
    func connectionCapIdleTimeoutAndLongLines() async throws {
        // The idle timeout is long enough for a loaded machine to open the second connection first.
        let configuration = NNTPServer.Configuration(maxConnectionsPerAddress: 1, idleTimeout: .seconds(8))
        try await withServer(configuration) { server, port in
            let first = try LineClient(port: port)
            #expect(try first.readLine()?.hasPrefix("200 ") == true)
            try first.send("GROUP misc.test\r\n")
            #expect(try first.readLine() == "211 0 1 0 misc.test")
            let second = try LineClient(port: port)
            #expect(try second.readLine() == "400 Too many connections; try again later")
            // Idle for longer than the timeout: 400, then the server closes.
            #expect(try first.readLine() == "400 Idle timeout, closing connection")
            #expect(try first.readLine() == nil)
            // The registry forgets the closed connection once its close has run on the event loop.
            let deadline = ContinuousClock.now + .seconds(60)
            while server.connectionCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.connectionCount == 0)

            let third = try LineClient(port: port)
            #expect(try third.readLine()?.hasPrefix("200 ") == true)
            try third.send(String(repeating: "x", count: 70_000))
            #expect(try third.readLine() == "400 Line too long")
            #expect(try third.readLine() == nil)
        }
    }

    /// RFC 3977 §3.5: a client may pipeline; 3,000 GROUP commands in one write (thirty times the session's
    /// queue), then 1,000 long ones (more than the handler's read window), are all answered, in order,
    /// and the connection lives on (it was cut off with "400 Too many pipelined commands" before).
    @Test(.timeLimit(.minutes(5)))
    func thousandsOfPipelinedCommandsAreAllAnswered() async throws {
        try await withServer(.init()) { _, port in
            let client = try LineClient(port: port)
            #expect(try client.readLine()?.hasPrefix("200 ") == true)
            let count = 3000
            let commands = String(repeating: "GROUP misc.test\r\n", count: count)
            #expect(commands.utf8.count > NNTPDefaults.pipelineWindowBytes / 2)
            try client.send(commands + "DATE\r\n")
            var answered = 0
            for _ in 0..<count {
                guard try client.readLine() == "211 0 1 0 misc.test" else { break }
                answered += 1
            }
            #expect(answered == count)
            #expect(try client.readLine()?.hasPrefix("111 ") == true)
            // More than the read window of long commands with short answers (the client here writes all
            // before it reads: their answers must fit the socket buffers, RFC 3977 §3.5's deadlock caveat).
            let missing = "GROUP no.such.group." + String(repeating: "x", count: 80) + "\r\n"
            let more = String(repeating: missing, count: 1000)
            #expect(more.utf8.count > NNTPDefaults.pipelineWindowBytes)
            try client.send(more + "DATE\r\n")
            var refused = 0
            for _ in 0..<1000 {
                guard try client.readLine() == "411 No such newsgroup" else { break }
                refused += 1
            }
            #expect(refused == 1000)
            #expect(try client.readLine()?.hasPrefix("111 ") == true)
        }
    }

    /// The shared throttle's pause after a wrong password, taken by the handler as the session asks: the
    /// `481` comes no sooner, and a command pipelined behind the password waits for it.
    @Test(.timeLimit(.minutes(5)))
    func aWrongPasswordIsAnsweredAfterTheThrottlesPause() async throws {
        let throttle = AuthThrottle(policy: .init(delayPerFailure: .seconds(1)))
        try await withServer(.init(allowPlaintextAuth: true), throttle: throttle) { _, port in
            let client = try LineClient(port: port)
            #expect(try client.readLine()?.hasPrefix("200 ") == true)
            let start = ContinuousClock.now
            try client.send("AUTHINFO USER bob@example.test\r\nAUTHINFO PASS wrong\r\nDATE\r\n")
            #expect(try client.readLine() == "381 Password required")
            #expect(try client.readLine() == "481 Authentication failed")
            #expect(ContinuousClock.now - start >= .seconds(1))
            #expect(try client.readLine()?.hasPrefix("111 ") == true)
        }
    }

    @Test func implicitTLSNeedsACertificate() async throws {
        let directory = try TemporaryDirectory(prefix: "correo-nntp-notls")
        defer { directory.remove() }
        let server = Self.server(.init(), store: MailStore(root: directory.url))
        await #expect(throws: ImplicitTLSWithoutCertificate(service: "NNTP")) {
            try await server.start(listeners: [.init(kind: .implicitTLS, host: "127.0.0.1", port: 0)])
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func shutdownSaysGoodbye() async throws {
        let directory = try TemporaryDirectory(prefix: "correo-nntp-shutdown")
        defer { directory.remove() }
        let server = Self.server(.init(), store: MailStore(root: directory.url))
        let port = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])[0]
        let client = try LineClient(port: port)
        #expect(try client.readLine()?.hasPrefix("200 ") == true)
        try client.send("CAPABILITIES\r\n")
        #expect(try client.readLine() == "101 Capability list:")
        #expect(try client.readLine() == "VERSION 2")
        await server.shutdown()
        var last: String?
        for _ in 0..<20 {
            guard let line = try client.readLine() else { break }
            last = line
        }
        #expect(last == "400 Server shutting down")
        #expect(try client.readLine() == nil)
    }
}

/// A blocking TCP client on 127.0.0.1 that reads CRLF lines, each read bounded by a 90 s timeout (loaded CI).
final class LineClient {
    /// No line arrived in time: which read it was, so a failure under load says where it stopped.
    struct NoLine: Error, CustomStringConvertible {
        let linesReadBefore: Int
        let lastLine: String?
        var description: String { "no line within 90 s after \(linesReadBefore) lines (last: \(lastLine ?? "none"))" }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var linesRead = 0
    private var lastLine: String?

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 90, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    /// The next line without CRLF, or nil at end of stream (or a reset).
    func readLine() throws -> String? {
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let line = buffer[..<end].last == 0x0D ? Array(buffer[..<(end - 1)]) : Array(buffer[..<end])
                buffer.removeFirst(end + 1)
                linesRead += 1
                lastLine = String(decoding: line, as: UTF8.self)
                return lastLine
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return nil }
            guard n > 0 else { throw NoLine(linesReadBefore: linesRead, lastLine: lastLine) }
            buffer += chunk[..<n]
        }
    }
}
