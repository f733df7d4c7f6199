import Foundation
import Logging
import MailTestSupport

@testable import MailStore

/// A small CRLF message numbered `n`.
func sampleMessage(_ n: Int, body: String = "Hello") -> [UInt8] {
    Array("From: a@b.test\r\nTo: c@d.test\r\nSubject: message \(n)\r\n\r\n\(body) \(n)\r\n".utf8)
}

/// Runs `body` with a fresh store in a temporary folder.
func withStore<T>(_ body: (MailStore, TemporaryDirectory) async throws -> T) async throws -> T {
    try await TemporaryDirectory.with(prefix: "mailstore") { directory in
        let store = MailStore(root: directory.url, logger: Logger(label: "test"))
        return try await body(store, directory)
    }
}

/// The names in a folder, without dot files.
func files(in path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
}

/// Drops the file's clean pages from the page cache; false when they stay (a file system in memory).
func evictFromPageCache(_ path: String) -> Bool {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    fdatasync(fd)
    _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    return !isInPageCache(path)
}

/// What `ask` answers right after the file's pages were dropped, `attempts` times; nil when they stay
/// (a file system in memory).
///
/// One answer is not enough to see the uncached case: a read with RWF_NOWAIT may start the kernel's
/// read-ahead before it gives up, and a fast device can finish that read within the call, so an
/// answer with the bytes is right too. Several drops make a nil answer all but certain on a disk.
func answersWhileEvicted<T>(_ path: String, attempts: Int = 5, _ ask: () -> T?) -> [T?]? {
    var answers: [T?] = []
    for _ in 0..<attempts {
        guard evictFromPageCache(path) else { return nil }
        answers.append(ask())
    }
    return answers
}

/// Whether every page of the file is in the page cache (`mincore`).
func isInPageCache(_ path: String) -> Bool {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > 0 else { return false }
    let size = Int(info.st_size)
    guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return false }
    defer { munmap(map, size) }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    var pages = [UInt8](repeating: 0, count: (size + pageSize - 1) / pageSize)
    guard mincore(map, size, &pages) == 0 else { return false }
    return pages.allSatisfy { $0 & 1 == 1 }
}
