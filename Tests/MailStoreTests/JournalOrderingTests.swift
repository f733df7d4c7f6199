import Foundation
import Logging
import MailTestSupport
import Synchronization
import Testing

@testable import MailStore

#if canImport(Glibc)
import Glibc
#endif

/// Delivery on a journaled ext4 takes one journal commit per batch instead of two (JournalOrdering).
///
/// Shown on real file systems made for the test, and shown safe by crashing one mid-delivery. Serialized:
/// the scratch file systems' loop mounts and unmounts stay out of each other's way.
@Suite(.offThePool, .serialized) struct JournalOrderingTests {
    @Test func mountOptionsAreReadForTheDeviceOnly() {
        let mountInfo = """
            27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
            46 27 7:0 / /mnt/a rw,relatime - ext4 /dev/loop0 rw,data=writeback
            47 27 7:1 / /mnt/b rw,noatime shared:3 - xfs /dev/loop1 rw
            """
        #expect(JournalOrdering.mountOptions(in: mountInfo, device: "254:0") == ["rw", "relatime", "discard"])
        #expect(JournalOrdering.mountOptions(in: mountInfo, device: "7:0")?.contains("data=writeback") == true)
        #expect(JournalOrdering.mountOptions(in: mountInfo, device: "7:1") == nil)
        #expect(JournalOrdering.mountOptions(in: mountInfo, device: "7:2") == nil)
    }

    @Test(.enabled(if: ScratchExt4.canMount, "needs root, mkfs.ext4 and loop devices"))
    func onlyAJournalInOrderedModeIsTrusted() throws {
        for (format, options, trusted) in [
            ([String](), [String](), true),
            ([], ["data=journal"], true),
            ([], ["data=writeback"], false),
            (["-O", "^has_journal"], [], false),
        ] {
            let scratch = try ScratchExt4(format: format, options: options)
            defer { scratch.remove() }
            #expect(
                JournalOrdering.keepsDataBeforeNames(at: scratch.mountPoint) == trusted,
                "mkfs \(format), mount \(options)"
            )
        }
    }

    /// A lone message costs one journal commit (the link rides in the file's own), where fsync, link,
    /// fsync of new/ cost two.
    @Test(.enabled(if: ScratchExt4.canMount, "needs root, mkfs.ext4 and loop devices"))
    func aLoneMessageCostsOneJournalCommit() async throws {
        let scratch = try ScratchExt4()
        defer { scratch.remove() }
        let store = MailStore(root: URL(fileURLWithPath: scratch.mountPoint + "/store"), logger: Logger(label: "test"))
        _ = try await store.deliver(bytes: sampleMessage(0), to: ["one@example.test"])
        let messages = 40
        let before = try scratch.journalCommits()
        for n in 1...messages {
            let results = try await store.deliver(bytes: sampleMessage(n), to: ["one@example.test"])
            #expect(results.map(\.isDelivered) == [true])
        }
        let commits = try scratch.journalCommits() - before
        // A timer's commit may fall in between; two per message is the portable order.
        #expect(commits >= messages && commits <= messages + messages / 4, "\(commits) commits")
        #expect(try files(in: scratch.mountPoint + "/store/one@example.test/new").count == messages + 1)
    }

    /// The file system stops mid-delivery as at a power cut, its running transaction lost
    /// (EXT4_IOC_SHUTDOWN without flushing the journal), and is mounted again: every message answered
    /// as delivered is there, whole, and every name in a new/ holds a whole message.
    ///
    /// Also with fast commits (`-O fast_commit`): there an fsync writes a fast commit of every inode and
    /// name changed since the last full commit instead of committing the transaction, and the batch's one
    /// fsync must still cover every name of the batch.
    @Test(
        .enabled(if: ScratchExt4.canMount, "needs root, mkfs.ext4 and loop devices"),
        arguments: [[], ["-O", "fast_commit"]]
    )
    func aCrashMidDeliveryLeavesNoNameWithoutItsData(format: [String]) async throws {
        for round in 0..<5 {
            let scratch = try ScratchExt4(format: format)
            defer { scratch.remove() }
            let root = scratch.mountPoint + "/store"
            let users = (0..<4).map { "u\($0)@example.test" }
            let acknowledged = Acknowledged()
            do {
                let store = MailStore(root: URL(fileURLWithPath: root), logger: Logger(label: "test"))
                await withTaskGroup(of: Void.self) { group in
                    for lane in 0..<8 {
                        group.addTask {
                            for step in 0..<400 {
                                let n = lane * 1000 + step
                                // Every third message goes to two users: one file, two links.
                                let to = (n % 3 == 0 ? [n, n + 1] : [n]).map { users[$0 % users.count] }
                                guard let results = try? await store.deliver(bytes: Self.message(n), to: to) else {
                                    return
                                }
                                for result in results {
                                    guard case .delivered(let fileName) = result.outcome else { return }
                                    acknowledged.entries.withLock { $0.append((result.recipient, fileName, n)) }
                                }
                            }
                        }
                    }
                    // Stop the file system once some messages are answered and more are in flight.
                    let stopAfter = 30 + 25 * round
                    let deadline = ContinuousClock.now + .seconds(60)
                    while acknowledged.entries.withLock({ $0.count }) < stopAfter, ContinuousClock.now < deadline {
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                    if format.contains("fast_commit") {
                        // The batches' fsyncs were fast commits, not full ones: the path under test ran.
                        #expect((try? scratch.fastCommits()) ?? 0 > 0)
                    }
                    #expect(scratch.shutDownLosingTheJournal())
                    await group.waitForAll()
                }
                #expect(store.journalOrder.withLock { $0 } == true)
            }
            try scratch.mountAgain()
            let answered = acknowledged.entries.withLock { $0 }
            #expect(answered.count >= 30)
            for entry in answered {
                let path = root + "/" + entry.user + "/new/" + entry.fileName
                let bytes = FileManager.default.contents(atPath: path).map(Array.init)
                // Compared as a Bool: a mismatch would otherwise print tens of kilobytes.
                let whole = bytes == Self.message(entry.n)
                #expect(whole, "\(path): \(bytes?.count ?? -1) octets")
            }
            var names = 0
            for user in users {
                let folder = root + "/" + user + "/new"
                for name in (try? files(in: folder)) ?? [] {
                    names += 1
                    let bytes = try #require(FileManager.default.contents(atPath: folder + "/" + name).map(Array.init))
                    let whole = Self.number(in: bytes).map(Self.message) == bytes
                    #expect(whole, "\(folder)/\(name): \(bytes.count) octets")
                }
            }
            #expect(names >= answered.count)
        }
    }

    /// Message `n`: a header naming it and a body of 8–72 KB derived from it, so that any name
    /// surviving the crash can be checked for its whole content.
    static func message(_ n: Int) -> [UInt8] {
        let line = "message \(n) " + String(repeating: String(n % 10), count: 60) + "\r\n"
        let body = String(repeating: line, count: 100 + (n % 9) * 110)
        return Array("X-Number: \(n)\r\nSubject: crash \(n)\r\n\r\n\(body)".utf8)
    }

    static func number(in bytes: [UInt8]) -> Int? {
        let prefix = Array("X-Number: ".utf8)
        guard bytes.starts(with: prefix), let end = bytes.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        return Int(String(decoding: bytes[prefix.count..<end], as: UTF8.self))
    }
}

/// Messages answered as delivered, shared with the delivering tasks.
private final class Acknowledged: Sendable {
    let entries = Mutex<[(user: String, fileName: String, n: Int)]>([])
}

/// A small ext4 made in a file and mounted through a loop device, for the length of a test.
struct ScratchExt4 {
    let image: String
    let mountPoint: String
    let options: [String]

    /// Root can mount a loop device, and mkfs.ext4 is installed.
    static let canMount =
        getuid() == 0
        && ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }

    init(format: [String] = [], options: [String] = []) throws {
        let base = NSTemporaryDirectory() + "/correo-ext4-" + UUID().uuidString
        image = base + ".img"
        mountPoint = base
        self.options = options
        // Sparse and lazily initialised: the file reads as zeros, so nothing needs writing before the
        // mount, which keeps a loaded test run from waiting on megabytes of zeros.
        try Self.run(["truncate", "-s", "128M", image])
        try Self.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1"] + format + [image])
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try mount()
    }

    private func mount() throws {
        try Self.run(["mount", "-o", (["loop"] + options).joined(separator: ","), image, mountPoint])
    }

    /// Unmounts and mounts again: what the file system holds is then what its journal kept.
    func mountAgain() throws {
        try unmount()
        try mount()
    }

    /// Retried for a while: under a loaded run a process spawned elsewhere at the wrong moment, or the
    /// kernel still finishing the shut-down file system, can keep it busy for an instant.
    private func unmount() throws {
        var attempts = 0
        while true {
            do {
                try Self.run(["umount", mountPoint])
                return
            } catch {
                attempts += 1
                guard attempts < 50 else { throw error }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH: from here every write fails, and what the
    /// journal had not committed is gone, as at a power cut.
    func shutDownLosingTheJournal() -> Bool {
        let fd = open(mountPoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var flags: UInt32 = 2
        return ioctl(fd, 0x8004_587D, &flags) == 0
    }

    /// Transactions the journal has committed (the first field of /proc/fs/jbd2/DEVICE-8/info).
    func journalCommits() throws -> Int {
        let device = try Self.output(["findmnt", "-n", "-o", "SOURCE", mountPoint])
        let name = String(device.split(separator: "/").last ?? "")
        let info = try String(contentsOfFile: "/proc/fs/jbd2/\(name)-8/info", encoding: .utf8)
        return Int(info.split(separator: " ").first ?? "") ?? 0
    }

    /// Fast commits written so far (the "N commits" line of /proc/fs/ext4/DEVICE/fc_info).
    func fastCommits() throws -> Int {
        let device = try Self.output(["findmnt", "-n", "-o", "SOURCE", mountPoint])
        let name = String(device.split(separator: "/").last ?? "")
        let info = try String(contentsOfFile: "/proc/fs/ext4/\(name)/fc_info", encoding: .utf8)
        let line = info.split(separator: "\n").first { $0.hasSuffix(" commits") } ?? ""
        return Int(line.split(separator: " ").first ?? "") ?? 0
    }

    /// Unmounts (lazily, if it stays busy: nothing is left mounted) and deletes the file system.
    func remove() {
        if (try? unmount()) == nil { _ = try? Self.run(["umount", "--lazy", mountPoint]) }
        try? FileManager.default.removeItem(atPath: mountPoint)
        try? FileManager.default.removeItem(atPath: image)
    }

    private static func run(_ arguments: [String]) throws { _ = try output(arguments) }

    @discardableResult
    private static func output(_ arguments: [String]) throws -> String {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        process.environment = environment
        let pipe = Pipe()
        let errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitForExit()
        guard process.terminationStatus == 0 else {
            let why = String(decoding: message, as: UTF8.self)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(arguments) failed: \(why)"])
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
