import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting as root, binding, and becoming an ordinary account before any client is served: what
/// Postfix and Dovecot do.
///
/// glibc applies setgid/setuid to every thread of the process (the event loops and the file I/O pool already run) that
/// it knows of; `StrayThreads` covers the one it does not (the main thread libdispatch parks), and `drop` checks every
/// thread in /proc/self/task.
public enum Privileges {
    /// Why the process must not start as it is, or nil: as root with a port below 1024 it needs
    /// `--user` (a remote bug must not be a root shell); `--user` for another account needs root.
    public static func refusal(
        privilegedPorts: [Int],
        account: ServiceAccount?,
        effectiveUID: uid_t = geteuid()
    ) -> PrivilegeError? {
        if effectiveUID == 0 {
            return account == nil && !privilegedPorts.isEmpty ? .rootWithoutUser(ports: privilegedPorts) : nil
        }
        guard let account else { return nil }
        // Naming the account one already is asks for nothing.
        if let resolved = try? account.resolve(), resolved.uid == effectiveUID, resolved.gid == getegid() {
            return nil
        }
        return .notRoot(user: account.user)
    }

    /// Gives everything under `storage` (the folder itself included) to `account`, without following
    /// symbolic links (lchown), so the account can read and deliver mail after the switch.
    ///
    /// Returns how many entries changed owner.
    @discardableResult
    public static func handOver(storage: URL, to account: ResolvedAccount) throws -> Int {
        try changeOwner(storage.path, account)
    }

    private static func changeOwner(_ path: String, _ account: ResolvedAccount) throws -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw PrivilegeError.systemCall("lstat \(path)", errno: errno) }
        var changed = 0
        if info.st_uid != account.uid || info.st_gid != account.gid {
            guard lchown(path, account.uid, account.gid) == 0 else {
                throw PrivilegeError.systemCall("chown \(path)", errno: errno)
            }
            changed += 1
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR, let directory = opendir(path) else { return changed }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            changed += try changeOwner(path + "/" + name, account)
        }
        return changed
    }

    /// Switches the whole process to `account` for good: supplementary groups, group, then user (in
    /// that order: after setuid there is no right left to change groups).
    ///
    /// Then checks that root cannot be regained and that every thread runs with the new ids.
    public static func drop(to account: ResolvedAccount) throws {
        if getuid() == account.uid && geteuid() == account.uid && getgid() == account.gid
            && getegid() == account.gid
        {
            return
        }
        guard initgroups(account.name, account.gid) == 0 else {
            throw PrivilegeError.systemCall("initgroups(\(account.name))", errno: errno)
        }
        guard setgid(account.gid) == 0 else { throw PrivilegeError.systemCall("setgid(\(account.gid))", errno: errno) }
        guard setuid(account.uid) == 0 else { throw PrivilegeError.systemCall("setuid(\(account.uid))", errno: errno) }
        try StrayThreads.drop(StrayThreads.threads(notRunningAs: account), to: account)
        try verify(account)
    }

    /// The checks `drop` ends with: setuid(0) and setgid(0) refused; in every thread's /proc status the
    /// real, effective, saved and file-system ids are all the account's.
    public static func verify(_ account: ResolvedAccount) throws {
        guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid
        else {
            throw PrivilegeError.notDropped("ids are uid \(getuid())/\(geteuid()), gid \(getgid())/\(getegid())")
        }
        if account.uid != 0 {
            guard setuid(0) != 0, seteuid(0) != 0 else { throw PrivilegeError.notDropped("setuid(0) succeeded") }
            guard setgid(0) != 0 || account.gid == 0 else { throw PrivilegeError.notDropped("setgid(0) succeeded") }
        }
        if let thread = StrayThreads.threads(notRunningAs: account).first {
            throw PrivilegeError.notDropped("thread \(thread) kept other ids")
        }
    }

    /// After the switch: the account must be able to list, read and write the storage folder.
    public static func checkStorage(_ storage: URL, account: ResolvedAccount) throws {
        guard access(storage.path, R_OK | W_OK | X_OK) == 0 else {
            throw PrivilegeError.storageUnreachable(path: storage.path, account: account.name)
        }
    }
}
