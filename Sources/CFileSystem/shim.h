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
