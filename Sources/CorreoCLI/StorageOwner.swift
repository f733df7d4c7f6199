import CorreoServer
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body`, which changes the storage folder, and then, when root did it in a storage folder that a
/// server was handed with `--user`, gives what was written to that folder's owner: otherwise a root-owned
/// 0600 passwords.txt or Maildir would lock the running server (now that account) out.
func keepingStorageOwner(_ storage: URL, _ body: () throws -> Void) throws {
    var info = stat()
    let owner: (uid_t, gid_t)? = stat(storage.path, &info) == 0 ? (info.st_uid, info.st_gid) : nil
    try body()
    guard geteuid() == 0, let (uid, gid) = owner, uid != 0 else { return }
    try Privileges.handOver(
        storage: storage.resolvingSymlinksInPath(),
        to: ResolvedAccount(name: "storage owner", uid: uid, gid: gid)
    )
}
