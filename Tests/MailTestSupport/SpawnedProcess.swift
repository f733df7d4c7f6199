import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn(3) and reaped with waitpid(2) by this object alone.
///
/// It stands in for Foundation's `Process`, with the same names, because that one failed the test runs
/// here in two ways: its `run()` crashed the whole test process now and then (on Linux it copies the
/// full 256-byte `d_name` of every /proc/self/fd entry while it looks for descriptors to close, reading
/// past glibc's shorter records; swift-corelibs-foundation#5472, not in Swift 6.3.1), and its SIGCHLD
/// handling was seen to leave a child a zombie for good while others ran. Here the child's descriptors
/// from 3 up are closed by `posix_spawn_file_actions_addclosefrom_np`, and `isRunning` asks the kernel.
public final class SpawnedProcess: @unchecked Sendable {
    /// The program to run: an absolute path, as `Process` wants.
    public var executableURL: URL?
    /// The arguments after argv[0], which is the executable's path.
    public var arguments: [String]?
    /// The child's environment; nil inherits this process's.
    public var environment: [String: String]?
    /// The child's working folder; nil keeps this process's.
    public var currentDirectoryURL: URL?
    /// A `Pipe` or a `FileHandle` for the child's standard input; nil inherits this process's.
    public var standardInput: Any?
    /// A `Pipe` or a `FileHandle` for the child's standard output; nil inherits this process's.
    public var standardOutput: Any?
    /// A `Pipe` or a `FileHandle` for the child's standard error; nil inherits this process's.
    public var standardError: Any?

    private let lock = NSLock()
    private var pid: pid_t = 0
    private var ended: Int32?

    /// Makes a process to configure and `run()`.
    public init() {}

    /// The child's process ID, 0 before `run()`.
    public var processIdentifier: Int32 { lock.withLock { pid } }

    /// Starts the child; the parent's copies of the pipe ends the child uses are closed afterwards, as
    /// `Process` does, so that a reader sees end of file when the child exits.
    public func run() throws {
        guard let path = executableURL?.path else { throw SpawnError(function: "run", code: ENOENT) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try redirect(standardInput, to: 0, reading: true, &actions)
        try redirect(standardOutput, to: 1, reading: false, &actions)
        try redirect(standardError, to: 2, reading: false, &actions)
        if let folder = currentDirectoryURL?.path {
            try check("posix_spawn_file_actions_addchdir_np", Self.addChdir?(&actions, folder) ?? ENOSYS)
        }
        try check("posix_spawn_file_actions_addclosefrom_np", Self.addCloseFrom?(&actions, 3) ?? ENOSYS)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Swift's threads block some signals (SIGTERM among them) and the test runner may ignore others:
        // the child starts with every signal unblocked and at its default action.
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = CStrings([path] + (arguments ?? []))
        let environment = (self.environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = CStrings(environment)
        var child: pid_t = 0
        // The strings must outlive the call; the arrays of pointers alone do not keep them.
        try withExtendedLifetime((argv, envp)) {
            try check("posix_spawn", posix_spawn(&child, path, &actions, &attributes, argv.pointers, envp.pointers))
        }
        lock.withLock { pid = child }
        closeParentEnds()
    }

    /// Whether the child has not ended; reaps it once it has.
    public var isRunning: Bool {
        lock.withLock {
            guard pid > 0, ended == nil else { return false }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { ended = Self.decode(status) }
            // ECHILD: a waiter on another thread reaped it and is about to record the status.
            return reaped == 0
        }
    }

    /// The exit code, or the signal number for a child a signal ended (as `Process` reports it); waits
    /// for the child if it has not ended.
    public var terminationStatus: Int32 {
        waitForExit()
        return lock.withLock { ended ?? -1 }
    }

    /// Waits for the child to end, blocked in waitpid(2) rather than polling.
    public func waitForExit() {
        let child = processIdentifier
        guard child > 0 else { return }
        var gone = 0
        while lock.withLock({ ended == nil }) {
            var status: Int32 = 0
            let reaped = waitpid(child, &status, 0)
            if reaped == child {
                lock.withLock { ended = ended ?? Self.decode(status) }
            } else if reaped == -1, errno != EINTR {
                // ECHILD: another waiter reaped it and records the status under the lock, so look again;
                // after a second nobody will (SIGCHLD ignored lets the kernel reap): the status is lost.
                gone += 1
                if gone == 1_000 { lock.withLock { ended = ended ?? -1 } }
                usleep(1_000)
            }
        }
    }

    /// Sends SIGTERM unless the child was reaped already (its pid may belong to another process then).
    public func terminate() { signal(SIGTERM) }

    /// Sends SIGINT unless the child was reaped already.
    public func interrupt() { signal(SIGINT) }

    private func signal(_ number: Int32) {
        lock.withLock {
            if pid > 0, ended == nil { _ = kill(pid, number) }
        }
    }

    deinit {
        // A child nobody waited for is reaped if it has ended, so that it does not stay a zombie.
        if pid > 0, ended == nil {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : signal
    }

    private func redirect(
        _ stream: Any?,
        to target: Int32,
        reading: Bool,
        _ actions: inout posix_spawn_file_actions_t
    ) throws {
        let handle: FileHandle
        switch stream {
        case let pipe as Pipe: handle = reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting
        case let file as FileHandle: handle = file
        default: return
        }
        // Foundation's `FileHandle.nullDevice` has no descriptor (-1): it stands for /dev/null.
        guard handle.fileDescriptor >= 0 else {
            let flags = target == 0 ? O_RDONLY : O_WRONLY
            try check(
                "posix_spawn_file_actions_addopen",
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
            )
            return
        }
        try check(
            "posix_spawn_file_actions_adddup2",
            posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
        )
    }

    private func closeParentEnds() {
        var closed = Set<ObjectIdentifier>()
        for (stream, reading) in [(standardInput, true), (standardOutput, false), (standardError, false)] {
            guard let pipe = stream as? Pipe else { continue }
            let end = reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting
            if closed.insert(ObjectIdentifier(end)).inserted { try? end.close() }
        }
    }

    private func check(_ function: String, _ code: Int32) throws {
        guard code == 0 else { throw SpawnError(function: function, code: code) }
    }

    // glibc declares both only for _GNU_SOURCE, which Swift's Glibc module does not define: looked up by name.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),
        "posix_spawn_file_actions_addclosefrom_np"
    ).map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addChdir: AddChdir? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),
        "posix_spawn_file_actions_addchdir_np"
    ).map { unsafeBitCast($0, to: AddChdir.self) }
}

/// A posix_spawn step that failed, with its error number.
public struct SpawnError: Error, CustomStringConvertible {
    /// The function that failed.
    public let function: String
    /// Its error number.
    public let code: Int32

    /// The function and the error's text.
    public var description: String { "\(function): \(String(cString: strerror(code)))" }
}

/// A NULL-terminated array of C strings that lives as long as this value.
private final class CStrings {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
