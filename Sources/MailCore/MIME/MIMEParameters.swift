import Foundation

/// The `; name=value` parameters of Content-Type and Content-Disposition (RFC 2045 5.1, RFC 2183).
///
/// RFC 2231 continuations and charsets are decoded, and so are RFC 2047 words in quoted values. A parsed list also keeps `raw`: the parameters as the header has them, for IMAP BODYSTRUCTURE.
public struct MIMEParameters: Sendable, Hashable, RandomAccessCollection {
    /// One parameter as the header has it (RFC 3501 7.4.2 sends these): RFC 2231 continuations
    /// joined, an extended value kept in its `charset'language'%XX` form under the name `name*`.
    public struct RawParameter: Sendable, Hashable {
        /// The attribute, lowercased; `name*` when the value is in RFC 2231 extended form.
        public var name: String
        /// The value, unquoted, otherwise as written (8-bit bytes as they came).
        public var value: [UInt8]

        /// Makes a raw parameter.
        public init(name: String, value: [UInt8]) {
            self.name = name.lowercased()
            self.value = value
        }
    }

    /// One parameter: name lowercased, value decoded to text.
    public struct Parameter: Sendable, Hashable {
        /// The attribute, lowercased, without RFC 2231 `*` markers.
        public var name: String
        /// The value, unquoted and decoded.
        public var value: String

        /// Makes a parameter.
        public init(name: String, value: String) {
            self.name = name.lowercased()
            self.value = value
        }
    }

    /// The parameters in order, each name once.
    public var parameters: [Parameter] {
        didSet { raw = nil }
    }

    /// The parameters as the header has them when the list was parsed; nil for a list made or
    /// changed in code (its `parameters` are then the whole truth).
    public private(set) var raw: [RawParameter]?

    /// Makes a parameter list.
    public init(_ parameters: [Parameter] = []) {
        self.parameters = parameters
        self.raw = nil
    }

    /// Equal when the decoded parameters are: `raw` is how they were written, not what they say.
    public static func == (lhs: MIMEParameters, rhs: MIMEParameters) -> Bool {
        lhs.parameters == rhs.parameters
    }

    /// Hashes the decoded parameters, like `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(parameters)
    }

    /// The parameters for IMAP BODYSTRUCTURE (RFC 3501 7.4.2): `raw` when parsed, else the decoded
    /// values as UTF-8.
    public var rawOrEncoded: [RawParameter] {
        raw ?? parameters.map { RawParameter(name: $0.name, value: Array($0.value.utf8)) }
    }

    /// The first position (0).
    public var startIndex: Int { parameters.startIndex }
    /// One past the last position.
    public var endIndex: Int { parameters.endIndex }
    /// The element at `position`, in order.
    public subscript(position: Int) -> Parameter { parameters[position] }

    /// The value of parameter `name` (case-insensitive), or nil; setting nil removes it.
    public subscript(name: String) -> String? {
        get {
            let key = name.lowercased()
            return parameters.first { $0.name == key }?.value
        }
        set {
            let key = name.lowercased()
            if let newValue {
                if let index = parameters.firstIndex(where: { $0.name == key }) {
                    parameters[index].value = newValue
                } else {
                    parameters.append(Parameter(name: key, value: newValue))
                }
            } else {
                parameters.removeAll { $0.name == key }
            }
        }
    }

    /// Parses `*(";" parameter)` from `bytes` (which may start with the `;`).
    ///
    /// Tolerant: unquoted
    /// values with spaces run to the next `;`, an unterminated quoted string runs to the end,
    /// comments are skipped, a repeated name keeps its first value.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> MIMEParameters {
        var raw: [(name: String, value: [UInt8], quoted: Bool)] = []
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end {
            while index < end, ASCII.isWhitespaceOrNewline(bytes[index]) || bytes[index] == ASCII.semicolon {
                index += 1
            }
            if index < end, bytes[index] == ASCII.openParen {
                index = HeaderLexer.skipComment(bytes, from: index)
                continue
            }
            let nameStart = index
            while index < end, bytes[index] != ASCII.equals, bytes[index] != ASCII.semicolon { index += 1 }
            let name = String(decoding: bytes[nameStart..<index].trimmingWhitespace(), as: UTF8.self).lowercased()
            guard index < end, bytes[index] == ASCII.equals else { continue }
            index += 1
            while index < end, ASCII.isWhitespaceOrNewline(bytes[index]) { index += 1 }
            var value: [UInt8] = []
            var quoted = false
            if index < end, bytes[index] == ASCII.quote {
                quoted = true
                (value, index) = HeaderLexer.readQuotedString(bytes, from: index)
                while index < end, bytes[index] != ASCII.semicolon { index += 1 }
            } else {
                let valueStart = index
                while index < end, bytes[index] != ASCII.semicolon { index += 1 }
                var valueBytes = bytes[valueStart..<index].trimmingWhitespace()
                if let comment = valueBytes.firstIndex(of: ASCII.openParen), comment > valueBytes.startIndex {
                    valueBytes = valueBytes[..<comment].trimmingWhitespace()
                }
                value = Array(valueBytes)
            }
            if !name.isEmpty { raw.append((name, value, quoted)) }
        }
        var parameters = assemble(raw)
        parameters.raw = assembleRaw(raw.map { ($0.name, $0.value) })
        return parameters
    }

    /// Rebuilds the parameters as the header has them, for IMAP BODYSTRUCTURE.
    ///
    /// RFC 2231 3 and 4 for `raw`, as Dovecot presents parameters in BODYSTRUCTURE: plain
    /// parameters first in order; then each RFC 2231 name (sorted) once, its sections joined in
    /// order without decoding; with any extended section the name gets a `*` and plain sections are
    /// %-escaped (a leading plain section gets an empty `''` charset and language first). A name
    /// whose sections are not numbered 0, 1, 2… is left as its separate sections.
    private static func assembleRaw(_ items: [(name: String, value: [UInt8])]) -> [RawParameter] {
        struct Section {
            var key: String
            var number: Int
            var extended: Bool
            var value: [UInt8]
        }
        var result: [RawParameter] = []
        var sections: [Section] = []
        for item in items {
            guard let star = item.name.firstIndex(of: "*") else {
                result.append(RawParameter(name: item.name, value: item.value))
                continue
            }
            var rest = item.name[item.name.index(after: star)...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            // `name*` alone is section 0, extended; otherwise `*` after the number marks it extended.
            let extended = digits.isEmpty && rest.isEmpty ? true : rest.first == "*"
            if extended { rest = rest.dropFirst() }
            guard rest.isEmpty, digits.count <= 6 else {
                result.append(RawParameter(name: item.name, value: item.value))
                continue
            }
            let number = Int(digits) ?? 0
            let key = String(item.name[..<star])
            sections.append(Section(key: key, number: number, extended: extended, value: item.value))
        }
        let grouped = Dictionary(grouping: sections, by: \.key)
        for key in grouped.keys.sorted() {
            guard let parts = grouped[key]?.sorted(by: { $0.number < $1.number }) else { continue }
            let complete = parts.enumerated().allSatisfy { $0.offset == $0.element.number }
            guard complete else {
                for part in parts {
                    let name = "\(key)*\(part.number)" + (part.extended ? "*" : "")
                    result.append(RawParameter(name: name, value: part.value))
                }
                continue
            }
            let anyExtended = parts.contains(where: \.extended)
            var value: [UInt8] = []
            if anyExtended, parts.first?.extended == false { value.append(contentsOf: Array("''".utf8)) }
            for part in parts {
                if anyExtended, !part.extended {
                    for byte in part.value {
                        if byte == ASCII.percent {
                            value.append(contentsOf: Array("%25".utf8))
                        } else {
                            value.append(byte)
                        }
                    }
                } else {
                    value.append(contentsOf: part.value)
                }
            }
            result.append(RawParameter(name: anyExtended ? key + "*" : key, value: value))
        }
        return result
    }

    /// RFC 2231 3 and 4: joins `name*0`, `name*1*`… in section order and decodes `charset'lang'%XX`.
    private static func assemble(_ raw: [(name: String, value: [UInt8], quoted: Bool)]) -> MIMEParameters {
        struct Section {
            var number: Int
            var extended: Bool
            var value: [UInt8]
        }
        var order: [String] = []
        var sections: [String: [Section]] = [:]
        for item in raw {
            var base = Substring(item.name)
            var extended = false
            var number = 0
            if base.hasSuffix("*") {
                extended = true
                base = base.dropLast()
            }
            if let star = base.lastIndex(of: "*"), let section = Int(base[base.index(after: star)...]),
                section >= 0, section < MailCoreDefaults.maxParameterContinuations
            {
                number = section
                base = base[..<star]
            }
            let key = String(base)
            if sections[key] == nil { order.append(key) }
            let section = Section(number: number, extended: extended, value: item.value)
            if let existing = sections[key, default: []].firstIndex(where: { $0.number == number }) {
                // `filename="plain.pdf"; filename*=utf-8''r%C3%A9el.pdf`: the RFC 2231 form is the real one.
                if extended, sections[key]?[existing].extended == false { sections[key]?[existing] = section }
                continue
            }
            sections[key, default: []].append(section)
        }
        var result: [Parameter] = []
        for key in order {
            guard var parts = sections[key] else { continue }
            parts.sort { $0.number < $1.number }
            var charset: String?
            var bytes: [UInt8] = []
            var anyExtended = false
            for (position, part) in parts.enumerated() {
                guard part.extended else {
                    bytes.append(contentsOf: part.value)
                    continue
                }
                anyExtended = true
                var value = part.value[...]
                if position == 0 {
                    let quotes = value.indices.filter { value[$0] == ASCII.apostrophe }
                    if quotes.count >= 2 {
                        charset = String(decoding: value[value.startIndex..<quotes[0]], as: UTF8.self)
                        value = value[(quotes[1] + 1)...]
                    }
                }
                bytes.append(contentsOf: percentDecode(value))
            }
            let text: String
            if anyExtended, let charset, !charset.isEmpty, let decoded = Charset.decode(bytes, charset: charset) {
                text = decoded
            } else if key != "boundary", bytes.contains(ASCII.equals) {
                // Real mailers put RFC 2047 words in quoted filenames, against RFC 2047 5.
                text = EncodedWord.decode(bytes)
            } else {
                text = Charset.decodeUndeclared(bytes)
            }
            result.append(Parameter(name: key, value: text))
        }
        return MIMEParameters(result)
    }

    private static func percentDecode(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var index = value.startIndex
        while index < value.endIndex {
            if value[index] == ASCII.percent, index + 2 < value.endIndex,
                let high = ASCII.hexValue(value[index + 1]), let low = ASCII.hexValue(value[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(value[index])
                index += 1
            }
        }
        return output
    }

    /// The parameters for the wire: `; name=value` each, quoted when needed; non-ASCII values use
    /// RFC 2231 `name*=utf-8''…` split into `name*0*`, `name*1*`… sections of short lines.
    ///
    /// Sections are separated by `;` + CRLF + space when `fold` is true.
    public func encoded(fold: Bool = true) -> String {
        var output = ""
        let separator = fold ? ";\r\n " : "; "
        for parameter in parameters {
            for piece in Self.encode(parameter) { output += separator + piece }
        }
        return output
    }

    static func encode(_ parameter: Parameter) -> [String] {
        let value = parameter.value
        let sectionLength = 60
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }),
            value.utf8.count <= sectionLength
        {
            let isToken = !value.isEmpty && value.utf8.allSatisfy(HeaderLexer.isToken)
            if isToken { return ["\(parameter.name)=\(value)"] }
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"",
                with: "\\\""
            )
            return ["\(parameter.name)=\"\(escaped)\""]
        }
        var encoded = "utf-8''"
        var pieces: [String] = []
        for character in value {
            var chunk = ""
            for byte in String(character).utf8 {
                if HeaderLexer.isAttributeChar(byte) {
                    chunk.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    chunk +=
                        "%" + String(decoding: [ASCII.hexDigit(byte >> 4), ASCII.hexDigit(byte & 0x0F)], as: UTF8.self)
                }
            }
            if encoded.utf8.count + chunk.utf8.count > sectionLength {
                pieces.append(encoded)
                encoded = ""
            }
            encoded += chunk
        }
        pieces.append(encoded)
        if pieces.count == 1 { return ["\(parameter.name)*=\(pieces[0])"] }
        return pieces.enumerated().map { "\(parameter.name)*\($0.offset)*=\($0.element)" }
    }
}
