import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Raises the open-file limit as far as allowed.
///
/// Every connection holds a file descriptor, and the usual soft limit (1,024) is far below what a mail
/// server under load or attack needs. Raises the soft `RLIMIT_NOFILE` to the hard limit at start and
/// says so when even that is below `needed` (connections refused by the kernel, not with a reply).
func raiseOpenFileLimit(needed: Int, logger: Logger) {
    var limit = rlimit()
    guard getrlimit(openFileResource, &limit) == 0 else {
        return logger.warning("cannot read the open-file limit (errno \(errno))")
    }
    let before = limit.rlim_cur
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        if setrlimit(openFileResource, &limit) != 0 {
            logger.warning("cannot raise the open-file limit from \(before) to \(limit.rlim_max) (errno \(errno))")
            limit.rlim_cur = before
        }
    }
    let current = Int(clamping: limit.rlim_cur)
    if current < needed {
        logger.warning(
            "open-file limit \(current) is below the \(needed) the connection limits need; raise it (ulimit -Hn)"
        )
    } else {
        logger.info("open-file limit \(current) (was \(before))")
    }
}

#if canImport(Glibc)
private let openFileResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let openFileResource = RLIMIT_NOFILE
#endif
