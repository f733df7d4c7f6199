import CFileSystem
import Foundation
import MailTestSupport
import Testing

@testable import MailStore

/// A big ext4 directory listed in hash ranges side by side gives exactly the names one readdir(3)
/// gives: none twice, none missing, whatever ranges are empty.
@Suite(.offThePool) struct SplitListingTests {
    /// Maildir-like names, long enough that `count` of them make a directory worth splitting.
    private static func fill(_ path: String, count: Int) throws {
        for index in 0..<count {
            let name =
                "\(1_700_000_000 + index).M\(index * 7)P\(index % 97)Q\(index).bench.example"
                + ",S=\(2000 + index):2,S"
            #expect(FileManager.default.createFile(atPath: path + "/" + name, contents: Data()))
        }
    }

    private static func onExt4(_ path: String) -> Bool { correo_file_system_type(path) == EXT4_SUPER_MAGIC }

    @Test func aBigDirectoryListsEveryNameOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.fill(directory.path, count: 5_000)
        // Not listed: dot names and symbolic links, as by one reader.
        FileManager.default.createFile(atPath: directory.path + "/.hidden", contents: Data())
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/link", withDestinationPath: "/etc")
        try FileManager.default.createDirectory(atPath: directory.path + "/sub", withIntermediateDirectories: false)
        // Where the folder is on ext4 (as here), the split is what is tested; elsewhere, its fallback.
        #expect(SplitListing.isWorthSplitting(directory.path) == Self.onExt4(directory.path))
        let split = try SplitListing.names(in: directory.path)
        let one = try POSIX.listDirectory(directory.path)
        #expect(split.count == 5_001)
        #expect(Set(split).count == split.count)
        #expect(split.sorted() == one.sorted())
        #expect(split.contains("sub") && !split.contains("link") && !split.contains(".hidden"))
        let withHidden = try SplitListing.names(in: directory.path, skipHidden: false)
        #expect(withHidden.sorted() == (one + [".hidden"]).sorted())
    }

    @Test func aBigDirectoryAlmostEmptiedListsWhatIsLeft() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.fill(directory.path, count: 4_000)
        // ext4 does not shrink a directory: most ranges now hold no name, and a reader that finds none
        // in its own range reads the next range's first name.
        var left = try POSIX.listDirectory(directory.path).sorted()
        for keep in [3, 1, 0] {
            for name in left.dropFirst(keep) { try FileManager.default.removeItem(atPath: directory.path + "/" + name) }
            left = Array(left.prefix(keep))
            #expect(SplitListing.isWorthSplitting(directory.path) == Self.onExt4(directory.path))
            let split = try SplitListing.names(in: directory.path)
            #expect(split.sorted() == left, "keeping \(keep)")
        }
    }

    @Test func aSmallDirectoryIsListedByOneReader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.fill(directory.path, count: 20)
        #expect(!SplitListing.isWorthSplitting(directory.path))
        #expect(try SplitListing.names(in: directory.path).sorted() == POSIX.listDirectory(directory.path).sorted())
    }
}

/// The files a read-ahead stats to bring a folder's inode tables in: one per stride of inodes.
@Suite struct ReadAheadSpreadTests {
    @Test func oneFilePerStrideOfInodesInInodeOrder() {
        let files: [(name: String, inode: UInt64)] = [
            ("c", 700), ("a", 100), ("z", 0), ("b", 355), ("d", 356), ("e", 1_000), ("f", 1_001),
        ]
        #expect(MaildirFolder.spread(files, stride: 256) == ["a", "d", "c", "e"])
        #expect(MaildirFolder.spread(files, stride: 1) == ["a", "b", "d", "c", "e", "f"])
        #expect(MaildirFolder.spread([], stride: 256).isEmpty)
    }

    @Test func aBigFolderIsReadAheadWithoutChangingIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for index in 0..<3_000 {
            #expect(FileManager.default.createFile(atPath: directory.path + "/\(index).x,S=1:2,", contents: Data()))
        }
        let before = try POSIX.listDirectory(directory.path).sorted()
        MaildirFolder.readMetadataAhead(directory.path)
        // It runs on a thread of its own; the folder is only read.
        try await Task.sleep(for: .milliseconds(200))
        #expect(try POSIX.listDirectory(directory.path).sorted() == before)
    }
}
