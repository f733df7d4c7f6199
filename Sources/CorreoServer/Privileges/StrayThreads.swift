import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Threads that glibc's setuid(2) does not reach.
///
/// glibc changes every thread's credentials by signalling the threads it knows; libdispatch's `dispatch_main()` (which
/// runs Swift's async main) ends the main thread with pthread_exit and then parks it in sigsuspend to take signals, so
/// glibc no longer lists it and it would stay root: /proc/PID/status would say Uid 0, and code that took over the
/// process could run a signal handler there, as root. Each such thread is sent a signal whose handler makes the raw
/// setgroups/setresgid/setresuid system calls (credentials are per thread in Linux), which is what glibc itself does
/// for the threads it knows.
enum StrayThreads {
    #if arch(x86_64)
    private static let setgroupsCall = 116, setresuidCall = 117, setresgidCall = 119, tgkillCall = 234
    #elseif arch(arm64)
    private static let setgroupsCall = 159, setresuidCall = 147, setresgidCall = 149, tgkillCall = 131
    #endif

    /// The C library's syscall(2), called through a fixed four-argument prototype: Swift cannot call
    /// variadic C functions, and on x86-64 and arm64 the integer arguments travel in the same
    /// registers either way.
    private typealias SyscallFunction = @convention(c) (Int, Int, Int, Int) -> Int

    private static func syscallFunction() -> SyscallFunction? {
        guard let library = dlopen(nil, RTLD_NOW), let symbol = dlsym(library, "syscall") else { return nil }
        return unsafeBitCast(symbol, to: SyscallFunction.self)
    }

    /// Every thread of this process whose /proc status does not show `account`'s ids throughout, or
    /// still holds a capability.
    static func threads(notRunningAs account: ResolvedAccount) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task -> Int32? in
            guard let id = Int32(task),
                let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
            else { return nil }
            for line in status.split(separator: "\n") {
                // An account other than root keeps no capability, permitted or effective.
                if account.uid != 0, line.hasPrefix("CapPrm:") || line.hasPrefix("CapEff:") {
                    if line.split(separator: "\t").last.flatMap({ UInt64($0, radix: 16) }) != 0 { return id }
                    continue
                }
                guard line.hasPrefix("Uid:") || line.hasPrefix("Gid:") else { continue }
                let expected = line.hasPrefix("Uid:") ? UInt32(account.uid) : UInt32(account.gid)
                let ids = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { UInt32($0) }
                if ids.count != 4 || !ids.allSatisfy({ $0 == expected }) { return id }
            }
            return nil
        }
    }

    /// Switches each thread in `threads` to `account` and waits (at most a second) for it to be done.
    ///
    /// The threads must still be root; this one need not be (threads of one process may always
    /// signal each other).
    static func drop(_ threads: [Int32], to account: ResolvedAccount) throws {
        guard !threads.isEmpty else { return }
        guard let call = syscallFunction() else { throw PrivilegeError.notDropped("syscall(2) not found") }
        var groups = [gid_t](repeating: 0, count: 256)
        let groupCount = Int(getgroups(Int32(groups.count), &groups))
        guard groupCount >= 0 else { throw PrivilegeError.systemCall("getgroups", errno: errno) }
        let groupList = UnsafeMutablePointer<gid_t>.allocate(capacity: max(1, groupCount))
        groupList.initialize(from: groups, count: groupCount)
        defer { groupList.deallocate() }
        Request.current.withLock {
            $0 = Request(
                call: call,
                groups: groupList,
                groupCount: groupCount,
                uid: account.uid,
                gid: account.gid,
                calls: (setgroupsCall, setresgidCall, setresuidCall)
            )
        }
        Request.finished.store(0, ordering: .sequentiallyConsistent)
        Request.failed.store(0, ordering: .sequentiallyConsistent)

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Request.runInThisThread() }
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        guard sigaction(SIGUSR2, &action, &previous) == 0 else {
            throw PrivilegeError.systemCall("sigaction", errno: errno)
        }
        defer { sigaction(SIGUSR2, &previous, nil) }
        for thread in threads {
            _ = call(tgkillCall, Int(getpid()), Int(thread), Int(SIGUSR2))
        }
        let deadline = ContinuousClock.now + .seconds(1)
        while Request.finished.load(ordering: .sequentiallyConsistent) < threads.count, ContinuousClock.now < deadline {
            usleep(1000)
        }
        if Request.failed.load(ordering: .sequentiallyConsistent) != 0 {
            throw PrivilegeError.notDropped("a thread refused setresuid/setresgid")
        }
    }

    /// What the signal handler needs, set before the signal is sent (a C handler captures nothing).
    private struct Request: @unchecked Sendable {
        var call: SyscallFunction
        var groups: UnsafeMutablePointer<gid_t>
        var groupCount: Int
        var uid: uid_t
        var gid: gid_t
        var calls: (setgroups: Int, setresgid: Int, setresuid: Int)

        static let current = Mutex<Request?>(nil)
        static let finished = Atomic<Int>(0)
        static let failed = Atomic<Int>(0)

        /// In the signal handler: only system calls and atomics.
        ///
        /// The request is read without taking the lock (a handler must not block); it was stored before the signal was
        /// sent.
        static func runInThisThread() {
            let request = current.withLockIfAvailable { $0 } ?? nil
            guard let request else { return }
            // Groups before ids: once the user id is not root, neither may be changed.
            let groups = request.call(request.calls.setgroups, request.groupCount, Int(bitPattern: request.groups), 0)
            let gid = request.call(request.calls.setresgid, Int(request.gid), Int(request.gid), Int(request.gid))
            let uid = request.call(request.calls.setresuid, Int(request.uid), Int(request.uid), Int(request.uid))
            if groups != 0 || gid != 0 || uid != 0 { failed.store(1, ordering: .sequentiallyConsistent) }
            finished.add(1, ordering: .sequentiallyConsistent)
        }
    }
}
