import Foundation

/// Body encodings for the parts the merge writes (RFC 2045 §6).
///
/// Interim: MailCore's base64 and quoted-printable replace these once they land.
enum BodyEncoding {
    /// Base64 in lines of 76 characters, CRLF after each (RFC 2045 §6.8).
    static func base64Lines(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// Text as a part body: 7bit when it is ASCII with short lines, quoted-printable otherwise. Returns the
    /// Content-Transfer-Encoding and the body with CRLF line ends.
    static func text(_ text: String) -> (encoding: String, body: String) {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let plain = lines.allSatisfy { line in
            line.utf8.count <= 998 && line.utf8.allSatisfy { $0 < 0x80 && ($0 >= 0x20 || $0 == 0x09) }
        }
        if plain { return ("7bit", lines.joined(separator: "\r\n")) }
        return ("quoted-printable", lines.map { quotedPrintable(Array($0.utf8)) }.joined(separator: "\r\n"))
    }

    /// One line quoted-printable (RFC 2045 §6.7): soft breaks keep encoded lines at 76 characters;
    /// a trailing space or tab is encoded.
    static func quotedPrintable(_ bytes: [UInt8]) -> String {
        var output = ""
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
            if lineLength + piece.count > 75 {
                output += "=\r\n"
                lineLength = 0
            }
            output += piece
            lineLength += piece.count
        }
        return output
    }

    /// The content type for an attachment, from its file name extension.
    static func contentType(forFileName name: String) -> String {
        let types: [String: String] = [
            "pdf": "application/pdf", "txt": "text/plain", "text": "text/plain", "md": "text/markdown",
            "html": "text/html", "htm": "text/html", "csv": "text/csv", "ics": "text/calendar",
            "xml": "application/xml", "json": "application/json", "zip": "application/zip",
            "gz": "application/gzip", "tar": "application/x-tar", "png": "image/png", "jpg": "image/jpeg",
            "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "svg": "image/svg+xml",
            "mp3": "audio/mpeg", "mp4": "video/mp4", "doc": "application/msword",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xls": "application/vnd.ms-excel",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ppt": "application/vnd.ms-powerpoint",
            "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "odt": "application/vnd.oasis.opendocument.text",
        ]
        let ext = (name as NSString).pathExtension.lowercased()
        return types[ext] ?? "application/octet-stream"
    }
}
