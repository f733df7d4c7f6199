import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// What a client's reads and renames in a big folder will look up, read from disk once in the
/// background after the folder's first look.
///
/// Each message a client then fetches or flags is looked up in cur/ (a directory block) and has its
/// inode read (an inode table block) before its own data. After a restart, or in a folder nobody
/// opened, those blocks are on disk: 500 bodies fetched one by one then read 800 blocks, one wait after
/// another, where only their 500 files' data was news (Dovecot's first SELECT leaves both in memory).
/// Listing cur/ in hash ranges (`SplitListing`) reads its blocks side by side in ~8 ms, and ext4 reads
/// a missing inode table block together with the next ones (`inode_readahead_blks`, 32 blocks of 16
/// inodes by default), so one stat per 256 inodes, in inode order, brings every inode in with a few
/// dozen reads. Nothing is kept from it but what the kernel caches.
extension MaildirFolder {
    /// Reads cur/'s directory blocks and its files' inodes ahead, on a thread of its own, when cur/ is
    /// big enough to be listed in ranges (ext4, `MailStoreDefaults.splitListingMinimumBytes`).
    static func readMetadataAhead(_ curPath: String) {
        guard SplitListing.isWorthSplitting(curPath) else { return }
        DispatchQueue(label: "correo.mailstore.read-ahead", qos: .utility).async {
            guard let files = try? SplitListing.map(in: curPath, { name, inode in (name: name, inode: inode) }) else {
                return
            }
            let picked = spread(files, stride: MailStoreDefaults.readAheadInodeStride)
            let directory = open(curPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { return }
            defer { close(directory) }
            _ = ParallelRead.map(picked) { name -> Bool in
                var info = Glibc.stat()
                return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0
            }
        }
    }

    /// The names to stat so that every inode of `files` is within `stride` after one of them, in inode
    /// order (inode 0, unknown, is never picked).
    static func spread(_ files: [(name: String, inode: UInt64)], stride: UInt64) -> [String] {
        var picked: [String] = []
        var next: UInt64 = 1
        for (name, inode) in files.sorted(by: { $0.inode < $1.inode }) where inode >= next {
            picked.append(name)
            next = inode + stride
        }
        return picked
    }
}
