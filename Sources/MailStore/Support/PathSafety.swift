import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Symbolic links are never followed inside the storage folder. A link placed in a Maildir (a folder
/// `.Evil` pointing at another user's Maildir, a `cur/` pointing elsewhere, a message file pointing at
/// /etc/shadow or at another user's message) would otherwise let one user read, or deliver into, what
/// is not theirs. So: folders are checked with lstat(2) and must be real directories, directory
/// listings leave symbolic links out, and every open(2) carries O_NOFOLLOW (see `POSIX.open`).
extension POSIX {
    /// lstat(2): the entry itself, never what a symbolic link points at.
    static func linkStatus(_ path: String) -> Glibc.stat? {
        var info = Glibc.stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// A directory that is not a symbolic link.
    static func isRealDirectory(_ path: String) -> Bool {
        guard let info = linkStatus(path) else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A Maildir folder that leads nowhere else: the folder itself and its cur/ and new/ are real
    /// directories, and tmp/ is one too or missing.
    static func isMaildir(_ path: String) -> Bool {
        guard isRealDirectory(path), isRealDirectory(path + "/cur"), isRealDirectory(path + "/new") else {
            return false
        }
        return isRealDirectory(path + "/tmp") || linkStatus(path + "/tmp") == nil
    }

    /// Whether a directory entry from readdir(3) is a symbolic link (asking lstat when the file
    /// system does not say).
    static func isSymbolicLink(_ entry: UnsafeMutablePointer<dirent>, in directory: String, name: String) -> Bool {
        switch Int32(entry.pointee.d_type) {
        case Int32(DT_LNK): return true
        case Int32(DT_UNKNOWN):
            guard let info = linkStatus(directory + "/" + name) else { return false }
            return (info.st_mode & S_IFMT) == S_IFLNK
        default: return false
        }
    }

    /// The error for a symbolic link where a folder or file of the store must be.
    static func symbolicLinkRefused(_ path: String) -> MailStoreError {
        .io(operation: "open as a Maildir (symbolic links are refused)", path: path, errno: ELOOP)
    }
}
