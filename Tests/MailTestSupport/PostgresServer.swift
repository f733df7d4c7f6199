import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for one test, from Debian's package.
///
/// `initdb` into a fresh temporary folder, `postgres` on a free loopback port with its socket in that
/// folder, stopped and removed by `stop()`. Nothing is shared with another test or with a system cluster.
///
/// PostgreSQL refuses to run as root, so under root (CI) both run as the `postgres` user through
/// `setpriv`, in a folder given to that user. The calls block their thread: use it from `.offThePool`
/// suites.
public final class PostgresServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The folder with the cluster (data/), its socket (socket/) and its log (postgres.log).
    public let directory: TemporaryDirectory
    /// The superuser `initdb` made; logins are trusted (loopback only).
    public let user = PostgresServer.superuser
    /// The superuser of every cluster the tests make.
    static let superuser = "correo"
    private let process: SpawnedProcess

    /// The store URL of the server's `postgres` database.
    public var url: String { "postgres://\(user)@127.0.0.1:\(port)/postgres" }
    /// The folder of the server's Unix socket (`?host=` in a store URL).
    public var socketDirectory: String { directory.path + "/socket" }

    /// Why a server could not be had.
    public enum Failure: Error, CustomStringConvertible {
        /// No /usr/lib/postgresql/*/bin/initdb: `apt-get install postgresql` (scripts/install-test-deps.sh).
        case notInstalled
        /// A step failed; the text is its output or the server log's end.
        case failed(String)

        /// A line for the test's failure report.
        public var description: String {
            switch self {
            case .notInstalled: "PostgreSQL is not installed (apt-get install postgresql)"
            case .failed(let text): "PostgreSQL: \(text)"
            }
        }
    }

    /// How many servers the tests run at once (`with`); the others wait for one to stop.
    static let permits = TestPermits(limit: 3)

    /// Runs `body` with a fresh server and stops it afterwards, whatever happens; at most three at once.
    public static func with<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        await permits.acquire()
        let server: PostgresServer
        do {
            server = try PostgresServer()
        } catch {
            await permits.release()
            throw error
        }
        // Stopped before the permit goes back, so the next server starts on a machine this one has left.
        do {
            let result = try await body(server)
            server.stop()
            await permits.release()
            return result
        } catch {
            server.stop()
            await permits.release()
            throw error
        }
    }

    /// Makes the cluster and starts the server; returns when it accepts connections (or throws
    /// after 60 s).
    public init() throws {
        guard let bin = Self.binaries() else { throw Failure.notInstalled }
        directory = try TemporaryDirectory(prefix: "correo-pg")
        let data = directory.path + "/data"
        do {
            try FileManager.default.createDirectory(
                atPath: directory.path + "/socket",
                withIntermediateDirectories: true
            )
            if getuid() == 0 { try Self.run("/bin/chown", ["-R", "postgres:postgres", directory.path]) }
            // A copy of the run's one fresh cluster: as root `cp -a` keeps its owner, postgres.
            try Self.run("/bin/cp", ["-a", try Self.template.get(), data])
            var lastError = Failure.failed("no port")
            for _ in 0..<3 {
                let port = try Self.freePort()
                let process = Self.process(
                    bin + "/postgres",
                    ["-D", data, "-k", directory.path + "/socket", "-p", String(port), "-h", "127.0.0.1"],
                    in: directory.url
                )
                let log = try Self.logHandle(directory.path + "/postgres.log")
                process.standardOutput = log
                process.standardError = log
                try process.run()
                do {
                    try Self.waitUntilReady(process, port: port, bin: bin, log: directory.path + "/postgres.log")
                    self.port = port
                    self.process = process
                    return
                } catch let error as Failure {
                    // Most likely the port was taken between the probe and the bind: another try.
                    Self.stop(process)
                    lastError = error
                }
            }
            throw lastError
        } catch {
            directory.remove()
            throw error
        }
    }

    /// The data folder of a cluster `initdb` made once for the whole test run, which each server copies.
    ///
    /// `initdb` bootstraps a cluster through several single-user `postgres` runs: a couple of seconds of
    /// CPU each time, and the suite starts about ninety servers, while a copy of the 40 MB it makes takes
    /// a few milliseconds. The clusters are never started, so every copy is as fresh as its own
    /// `initdb`'s; the template is removed when the test process exits.
    private static let template: Result<String, Failure> = {
        guard let bin = binaries() else { return .failure(.notInstalled) }
        do {
            let directory = try TemporaryDirectory(prefix: "correo-pg-template")
            templatePath.withLock { $0 = directory.path }
            atexit {
                PostgresServer.templatePath.withLock { path in
                    if let path { try? FileManager.default.removeItem(atPath: path) }
                }
            }
            if getuid() == 0 { try run("/bin/chown", ["-R", "postgres:postgres", directory.path]) }
            let data = directory.path + "/data"
            try run(
                bin + "/initdb",
                ["-D", data, "-U", superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                in: directory.url
            )
            return .success(data)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(.failed("template: \(error)"))
        }
    }()

    /// The template's folder, for its removal at exit.
    private static let templatePath = Mutex<String?>(nil)

    /// Stops the server (fast shutdown: SIGINT, SIGKILL after 30 s) and removes its folder.
    public func stop() {
        Self.stop(process)
        directory.remove()
    }

    private static func stop(_ process: SpawnedProcess) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        for _ in 0..<300 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitForExit()
    }

    /// The newest installed version's bin/ folder.
    private static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed().map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// `executable` with `arguments`; a PostgreSQL tool runs as the `postgres` user when this process is root.
    private static func process(_ executable: String, _ arguments: [String], in folder: URL?) -> SpawnedProcess {
        let process = SpawnedProcess()
        if getuid() == 0, folder != nil {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        // The tools look up their working folder, which must be readable by the user they run as.
        if let folder { process.currentDirectoryURL = folder }
        return process
    }

    /// Runs a tool to its end (a PostgreSQL tool, in `folder`; a system one, without); throws with its
    /// output when it fails.
    private static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil) throws {
        let process = Self.process(executable, arguments, in: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitForExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed("\((executable as NSString).lastPathComponent): \(text.suffix(2000))")
        }
    }

    /// Polls `pg_isready` every 100 ms for at most 60 s; fails early when the server exits.
    ///
    /// The probe goes through this server's own Unix socket, never the TCP port: when two tests draw
    /// the same free port, the second server fails to bind it and exits, and a probe of 127.0.0.1:PORT
    /// would meanwhile have found the first test's server ready, handing the second test someone else's
    /// database. PostgreSQL opens its Unix socket only after its TCP one, so a server that answers on
    /// its socket holds the port too.
    private static func waitUntilReady(_ process: SpawnedProcess, port: Int, bin: String, log: String) throws {
        let socket = (log as NSString).deletingLastPathComponent + "/socket"
        for _ in 0..<600 {
            guard process.isRunning else { break }
            let probe = SpawnedProcess()
            probe.executableURL = URL(fileURLWithPath: bin + "/pg_isready")
            probe.arguments = ["-q", "-h", socket, "-p", String(port)]
            try probe.run()
            probe.waitForExit()
            if probe.terminationStatus == 0, process.isRunning { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw Failure.failed("not ready on port \(port): \(text.suffix(2000))")
    }

    private static func logHandle(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", path]) }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        return handle
    }

    /// A port the kernel has just given out on 127.0.0.1 (bound to port 0, then closed).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.failed("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw Failure.failed("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
