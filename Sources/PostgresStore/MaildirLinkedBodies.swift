import Foundation
import Synchronization

/// The bodies already stored for Maildir files with several hard links, by the file's device and inode.
///
/// The Maildir store keeps one file per copy of a message, but a delivery to several recipients and a
/// COPY make hard links, not new files: each such file becomes one body that every copy shares, as the
/// PostgreSQL store shares it for its own deliveries. Only bodies of committed imports are kept here, so
/// that a user whose import rolled back leaves no id of a body that does not exist.
final class MaildirLinkedBodies: Sendable {
    /// A file's identity: the device it lies on and its inode there, with the message's size as a guard
    /// against an inode freed and given to another file while the copy runs.
    struct FileKey: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int
    }

    private let committed = Mutex<[FileKey: Int64]>([:])

    /// The key of the file at `url` (a message of `size` bytes) when it has more than one link (a file with one link is no one
    /// else's copy); nil otherwise, or when it cannot be read.
    static func key(of url: URL, size: Int) -> FileKey? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let links = (attributes[.referenceCount] as? NSNumber)?.intValue, links > 1,
            let device = (attributes[.systemNumber] as? NSNumber)?.uint64Value,
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
        else { return nil }
        return FileKey(device: device, inode: inode, size: size)
    }

    /// The body stored for `key` by a committed import, if any.
    func body(for key: FileKey) -> Int64? {
        committed.withLock { $0[key] }
    }

    /// Remembers the bodies of an import that has committed.
    func add(_ bodies: [FileKey: Int64]) {
        committed.withLock { $0.merge(bodies) { old, _ in old } }
    }
}
