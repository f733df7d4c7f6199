import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The account a server switches to after binding its listeners (`--user NAME [--group NAME]`), so
/// that a flaw in a protocol parser gives an attacker that account and not root.
public struct ServiceAccount: Sendable, Equatable {
    /// A user name from the password database (`nobody`, `correo`…).
    public var user: String
    /// A group name; nil means the user's primary group.
    public var group: String?

    /// The account `user`, with `group` or the user's primary group.
    public init(user: String, group: String? = nil) {
        self.user = user
        self.group = group
    }

    /// The user and group ids, from getpwnam(3) and getgrnam(3).
    public func resolve() throws -> ResolvedAccount {
        guard let user = Self.passwordEntry(named: user) else { throw PrivilegeError.unknownUser(self.user) }
        var gid = user.gid
        if let group {
            guard let found = Self.groupID(named: group) else { throw PrivilegeError.unknownGroup(group) }
            gid = found
        }
        return ResolvedAccount(name: self.user, uid: user.uid, gid: gid)
    }

    private static func passwordEntry(named name: String) -> (uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    private static func groupID(named name: String) -> gid_t? {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        let status = getgrnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}

/// An account with its ids looked up.
public struct ResolvedAccount: Sendable, Equatable {
    /// The user name, for initgroups(3) and messages.
    public let name: String
    /// The user id.
    public let uid: uid_t
    /// The group id: `--group`'s, or the user's primary group.
    public let gid: gid_t

    /// An account whose ids are already known.
    public init(name: String, uid: uid_t, gid: gid_t) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }

    /// "nobody (uid 65534, gid 65534)", for logs and errors.
    public var description: String { "\(name) (uid \(uid), gid \(gid))" }
}

/// Why the server will not start with the privileges it has, or could not give them up.
public enum PrivilegeError: Error, Equatable, CustomStringConvertible {
    case unknownUser(String)
    case unknownGroup(String)
    /// `--user` names another account but the process cannot switch (it is not root).
    case notRoot(user: String)
    /// Root with listeners below 1024 and no `--user`: refused so that no parser runs as root.
    case rootWithoutUser(ports: [Int])
    /// A system call that changes credentials failed.
    case systemCall(String, errno: Int32)
    /// After the switch the process could still become root again, or a thread kept other ids.
    case notDropped(String)
    /// The storage folder cannot be used by the account (a parent folder keeps it out).
    case storageUnreachable(path: String, account: String)

    /// The sentence the command line prints.
    public var description: String {
        switch self {
        case .unknownUser(let name): "--user \(name): no such user (see getent passwd)"
        case .unknownGroup(let name): "--group \(name): no such group (see getent group)"
        case .notRoot(let user):
            "--user \(user) needs correo to start as root (it binds the ports, then switches to \(user))"
        case .rootWithoutUser(let ports):
            "refusing to serve as root on port \(ports.map(String.init).joined(separator: ", ")): give --user NAME "
                + "(e.g. --user nobody) so correo drops root after binding, or --user root to insist"
        case .systemCall(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        case .notDropped(let what): "privileges were not fully dropped: \(what)"
        case .storageUnreachable(let path, let account):
            "\(account) cannot use the storage folder \(path): every folder above it must let \(account) through "
                + "(chmod o+x), or choose a storage folder elsewhere with --storage"
        }
    }
}
