import Foundation
import MailCore

extension Attachment {
    /// Reads a file to attach (`-a FILE`); the content type comes from its extension.
    public init(contentsOfFile path: String) throws {
        let url = URL(fileURLWithPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > MailMergeDefaults.maximumFileSize {
            throw CocoaError(.fileReadTooLarge, userInfo: [NSFilePathErrorKey: path])
        }
        self.init(filename: url.lastPathComponent, data: Array(try Data(contentsOf: url)))
    }
}
