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
