// statfs(2) and the file systems' magic numbers, which Swift's Glibc module does not bring in:
// SplitListing reads a directory in hash ranges only where it knows positions are hashes (ext4).
#include <sys/vfs.h>
#include <linux/magic.h>

// The f_type of the file system holding `path`, or -1. (In Swift, `statfs` names both the struct and
// the call, and the call cannot be spelled.)
static inline long correo_file_system_type(const char *path) {
    struct statfs info;
    return statfs(path, &info) == 0 ? (long)info.f_type : -1;
}

// Reading a file only when it is all in memory, for a reader that must not wait on the disk (an event
// loop thread): openat2 with RESOLVE_CACHED (Linux 5.12) fails with EAGAIN when the path's lookup
// would read the disk, and preadv2 with RWF_NOWAIT (Linux 4.14; buffered ext4 reads since 5.x) when
// the data would. Older kernels refuse the flags (EINVAL, EOPNOTSUPP): the caller then takes its usual,
// waiting path.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

// Both are GNU extensions, which the Glibc module is built without: declared here as glibc has them.
#ifndef O_NOATIME
#define O_NOATIME 01000000
#endif
extern ssize_t preadv2(int fd, const struct iovec *vector, int count, off_t offset, int flags);
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

// The file at `path` opened read-only, without following a final symlink nor updating its access
// time, or -1 with errno set (EAGAIN: not cached; EPERM: O_NOATIME on a file of another owner).
static inline int correo_open_cached(const char *path) {
#ifdef SYS_openat2
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME, .mode = 0, .resolve = RESOLVE_CACHED
    };
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
#else
    errno = ENOSYS;
    return -1;
#endif
}

// pread of `count` bytes at `offset` that fails with EAGAIN rather than wait for the disk; a short
// count can also mean that only part of the range is cached.
static inline ssize_t correo_pread_nowait(int fd, void *buffer, size_t count, off_t offset) {
    struct iovec vector = { .iov_base = buffer, .iov_len = count };
    return preadv2(fd, &vector, 1, offset, RWF_NOWAIT);
}
