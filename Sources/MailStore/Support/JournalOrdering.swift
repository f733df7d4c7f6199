import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a file system by itself keeps the order that delivery otherwise buys with a second round of
/// syncs: a file's data on disk before any name for it.
///
/// ext4 with a journal, in its default data=ordered mode (or data=journal), keeps it. Every metadata change
/// commits through one journal, in order. A transaction that gives a file its blocks and its size commits
/// only after those blocks' data was written. So once a file's data has been written back and waited for
/// (`sync_file_range`, which also allocates its blocks and records its size in the running transaction), a
/// hard link made afterwards lands in the same transaction or a later one: no crash keeps the name and loses
/// the data. The file's fsync then commits the link too, so one journal commit makes both durable, where
/// fsync, link, fsync of the folder took two commits one after the other.
///
/// Anything else keeps the portable order (fsync the file, then link, then fsync the folder):
/// - ext4 without a journal, where nothing orders a directory block against an inode;
/// - ext4 with data=writeback, where metadata may commit before the data it points to;
/// - every other file system, whose ordering this code does not rely on.
enum JournalOrdering {
    /// Whether the file system holding `path` keeps written data ahead of names, as described above.
    static func keepsDataBeforeNames(at path: String) -> Bool {
        guard POSIX.canWriteBack, let status = POSIX.status(path) else { return false }
        let device = UInt64(status.st_dev)
        // glibc's encoding of a device number (gnu_dev_major and gnu_dev_minor, macros Swift cannot see).
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        guard let mountInfo = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8),
            let options = mountOptions(in: mountInfo, device: "\(major):\(minor)"),
            !options.contains("data=writeback")
        else { return false }
        return hasJournal(device: "\(major):\(minor)")
    }

    /// The per-mount and per-superblock options of the first ext4 mount of `device` ("major:minor") in
    /// /proc/self/mountinfo (proc(5): fields, " - ", type, source, superblock options).
    static func mountOptions(in mountInfo: String, device: String) -> Set<String>? {
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 5, fields[2] == device, let separator = fields.firstIndex(of: "-"),
                separator + 3 < fields.count, fields[separator + 1] == "ext4"
            else { continue }
            let perMount = fields[5].split(separator: ",").map(String.init)
            let perSuperblock = fields[separator + 3].split(separator: ",").map(String.init)
            return Set(perMount + perSuperblock)
        }
        return nil
    }

    /// Whether jbd2 runs a journal for the block device `device`: /proc/fs/jbd2 holds `NAME-INODE` per
    /// journal, NAME being the device's kernel name (from sysfs).
    private static func hasJournal(device: String) -> Bool {
        guard let uevent = try? String(contentsOfFile: "/sys/dev/block/\(device)/uevent", encoding: .utf8),
            let line = uevent.split(separator: "\n").first(where: { $0.hasPrefix("DEVNAME=") })
        else { return false }
        let name = line.dropFirst("DEVNAME=".count).replacingOccurrences(of: "/", with: "!")
        guard let journals = try? POSIX.listDirectory("/proc/fs/jbd2") else { return false }
        return journals.contains { $0.hasPrefix(name + "-") }
    }
}
