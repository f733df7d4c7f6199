import Foundation

/// A small MIME reader for the tests: header fields and the parts of a multipart body, on bytes.
struct MIMEEntity {
    var headers: [(name: String, value: String)]
    var body: String

    init(_ text: String) {
        let split = text.range(of: "\r\n\r\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? text
        body = split.map { String(text[$0.upperBound...]) } ?? ""
        var headers: [(String, String)] = []
        for line in head.components(separatedBy: "\r\n") {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].1 += line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        self.headers = headers
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var boundary: String? {
        guard let type = header("Content-Type"), let range = type.range(of: "boundary=\"") else { return nil }
        return String(type[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The parts of a multipart body.
    var parts: [MIMEEntity] {
        guard let boundary else { return [] }
        let pieces = body.components(separatedBy: "--\(boundary)")
        return pieces.dropFirst().filter { !$0.hasPrefix("--") }.map { piece in
            var piece = piece
            if piece.hasPrefix("\r\n") { piece.removeFirst(1) }
            if piece.hasSuffix("\r\n") { piece.removeLast(1) }
            return MIMEEntity(piece)
        }
    }

    /// The body decoded per Content-Transfer-Encoding.
    var decodedBody: Data {
        switch header("Content-Transfer-Encoding")?.lowercased() {
        case "base64": return Data(base64Encoded: body, options: .ignoreUnknownCharacters) ?? Data()
        case "quoted-printable":
            var bytes: [UInt8] = []
            let source = Array(body.replacingOccurrences(of: "=\r\n", with: "").utf8)
            var index = 0
            while index < source.count {
                if source[index] == UInt8(ascii: "="), index + 2 < source.count,
                    let byte = UInt8(String(decoding: source[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                {
                    bytes.append(byte)
                    index += 3
                } else {
                    bytes.append(source[index])
                    index += 1
                }
            }
            return Data(bytes)
        default: return Data(body.utf8)
        }
    }

    /// RFC 2047 "B" encoded words decoded, for checking headers; space between two encoded words is dropped.
    static func decodeWords(_ value: String) -> String {
        var output = ""
        var previousWasEncoded = false
        for (index, token) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let isEncoded = token.hasPrefix("=?UTF-8?B?") && token.hasSuffix("?=")
            if index > 0 && !(isEncoded && previousWasEncoded) { output += " " }
            if isEncoded, let data = Data(base64Encoded: String(token.dropFirst(10).dropLast(2))) {
                output += String(decoding: data, as: UTF8.self)
            } else {
                output += token
            }
            previousWasEncoded = isEncoded
        }
        return output
    }
}
