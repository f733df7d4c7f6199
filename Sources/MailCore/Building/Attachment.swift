import Foundation

/// A file to attach to a built message.
public struct Attachment: Sendable, Hashable {
    /// The file name shown to the recipient (RFC 2231-encoded when not ASCII).
    public var filename: String
    /// The media type; by default guessed from the file name's extension.
    public var contentType: ContentType
    /// The file's bytes; they come out of the recipient's decoder unchanged.
    public var data: [UInt8]
    /// True for `Content-Disposition: inline`, false for attachment.
    ///
    /// Inline suits an image that an HTML body shows.
    public var isInline: Bool
    /// A Content-ID (without angle brackets) for `cid:` references, if any.
    public var contentID: String?

    /// Makes an attachment; the content type defaults to the one for the file name's extension.
    public init(
        filename: String,
        data: [UInt8],
        contentType: ContentType? = nil,
        isInline: Bool = false,
        contentID: String? = nil
    ) {
        self.filename = filename
        self.data = data
        self.contentType =
            contentType ?? ContentType(MediaTypes.mimeType(forFilename: filename))
            ?? .applicationOctetStream
        self.isInline = isInline
        self.contentID = contentID
    }

    /// Reads a file to attach; the file name is the URL's last path component unless given.
    ///
    /// Throws the file system's error when the file cannot be read.
    public init(contentsOf url: URL, filename: String? = nil, contentType: ContentType? = nil) throws {
        let data = try Data(contentsOf: url)
        self.init(filename: filename ?? url.lastPathComponent, data: Array(data), contentType: contentType)
    }
}
