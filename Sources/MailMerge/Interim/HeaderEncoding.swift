import Foundation

/// Header encodings the merge needs: RFC 2047 encoded words, quoted display names, RFC 2231 parameters,
/// and folding (RFC 5322 §2.2.3).
///
/// Interim: MailCore's encoders replace these once they land.
enum HeaderEncoding {
    /// An unstructured value (Subject, Comments, any X- header): as is when ASCII, otherwise UTF-8 "B"
    /// encoded words of at most 75 characters each (RFC 2047 §2), never splitting a character.
    static func unstructured(_ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.value >= 0x20 || $0 == "\t") }) { return value }
        return encodedWords(value)
    }

    /// `=?UTF-8?B?…?=` words, separated by a space (which RFC 2047 §6.2 ignores between encoded words).
    static func encodedWords(_ value: String) -> String {
        // Words of at most 30 octets (52 characters) leave room for the field name on the first line, keeping
        // lines under 78 characters (RFC 2047 §2 allows 75 per word, RFC 5322 §2.1.1 asks for 78 per line).
        let maximumOctets = 30
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumOctets, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: " ")
    }

    /// A display name for an address header: an atom phrase as is, a quoted string when it has specials,
    /// encoded words when it has non-ASCII (RFC 2047 §5(3)).
    static func displayName(_ name: String) -> String {
        if !name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) {
            return encodedWords(name)
        }
        let atomOrSpace = name.unicodeScalars.allSatisfy {
            $0 == " " || RecipientAddress.isAtext(UInt8($0.value))
        }
        if atomOrSpace && !name.isEmpty { return name }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `name <address>` or `address`.
    static func mailbox(name: String?, address: String) -> String {
        guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return address }
        return "\(displayName(name.trimmingCharacters(in: .whitespaces))) <\(address)>"
    }

    /// An address list written by a person ("Ann <a@x>, b@y, \"Lee, Bo\" <c@z>"): split at commas outside
    /// quotes and angle brackets, each display name encoded. Returns the header value and the bare addresses.
    static func addressList(_ value: String) -> (header: String, addresses: [String]) {
        var items: [String] = []
        var current = ""
        var inQuotes = false
        var inAngle = false
        for character in value {
            switch character {
            case "\"": inQuotes.toggle()
            case "<" where !inQuotes: inAngle = true
            case ">" where !inQuotes: inAngle = false
            case "," where !inQuotes && !inAngle:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        items.append(current)
        var mailboxes: [String] = []
        var addresses: [String] = []
        for item in items.map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if let open = item.lastIndex(of: "<"), let close = item.lastIndex(of: ">"), open < close {
                var name = item[..<open].trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
                let address = item[item.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
                mailboxes.append(mailbox(name: name, address: address))
                addresses.append(address)
            } else {
                mailboxes.append(item)
                addresses.append(item)
            }
        }
        return (mailboxes.joined(separator: ", "), addresses)
    }

    /// A MIME parameter: `name="value"` when ASCII, `name*=UTF-8''percent-encoded` otherwise (RFC 2231 §4).
    static func parameter(_ name: String, _ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) {
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\(name)=\"\(escaped)\""
        }
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let encoded = value.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }
        return "\(name)*=UTF-8''\(encoded.joined())"
    }

    /// A header line folded at spaces so lines stay under 78 characters where possible (RFC 5322 §2.2.3).
    static func fold(name: String, value: String) -> String {
        var lines: [String] = []
        var line = "\(name):"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if line.count + 1 + word.count > 76, line.count > name.count + 1 {
                lines.append(line)
                line = " " + word
            } else {
                line += " " + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }
}
