import CFileSystem

#if canImport(Glibc)
import Glibc
#endif

extension POSIX {
    /// The file's bytes when its path and all its data are in memory; nil when reading it would wait
    /// on the disk, when it is gone or bigger than `mostBytes`, or when the kernel cannot say without
    /// waiting (one older than Linux 5.12).
    ///
    /// Opened with `O_NOATIME`: marking the inode for an access time is a journal write that could
    /// wait. A file the server does not own refuses that flag, and is read the usual way.
    static func readFileIfCached(_ path: String, mostBytes: Int) -> [UInt8]? {
        let fd = correo_open_cached(path)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 0, Int(info.st_size) <= mostBytes else { return nil }
        let size = Int(info.st_size)
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            while count < size {
                let got = correo_pread_nowait(fd, base + count, size - count, off_t(count))
                if got < 0, errno == EINTR { continue }
                // EAGAIN: the rest is not cached; 0: the file is shorter than fstat said.
                guard got > 0 else {
                    complete = false
                    return
                }
                count += got
            }
        }
        return complete ? bytes : nil
    }
}
