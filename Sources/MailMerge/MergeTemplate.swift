import Foundation
import Mustache

/// The message template: Mustache (`{{name}}`, `{{email}}`, any column, sections) with the original tool's
/// `$name` and `${column}` placeholders, and an optional block of header lines on top like `mailmerge`'s:
///
///     TO: {{email}}
///     SUBJECT: Hello {{name}}
///     FROM: Me <me@example.com>
///
///     Dear {{name}}, …
public struct MergeTemplate: Sendable {
    /// A header line from the template's header block, value still to be filled in.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Errors in reading or parsing a template.
    public enum Failure: Error, CustomStringConvertible, Hashable {
        case unreadable(path: String, reason: String)
        case invalid(what: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read the template \(path): \(reason)"
            case .invalid(let what, let reason): "the \(what) is not a valid template: \(reason)"
            }
        }
    }

    /// Header lines from the top of the body template (To, Subject, From, Cc, Bcc, Reply-To, any other).
    public var headers: [Header]
    /// The plain-text body template, if any.
    public var text: String?
    /// The HTML body template, if any.
    public var html: String?

    private let compiledHeaders: [CompiledText]
    private let compiledText: CompiledText?
    private let compiledHTML: CompiledText?

    /// The header names that mark a header block at the top of a template file.
    static let knownHeaders: Set<String> = [
        "to", "subject", "from", "cc", "bcc", "reply-to", "content-type", "mime-version", "sender",
    ]

    /// Builds a template from a body template's text and an optional HTML template's text.
    ///
    /// - Parameters:
    ///   - body: the body template; a header block on top is taken off and kept in `headers`. When its
    ///     Content-Type header says `text/html`, the body is HTML.
    ///   - html: a separate HTML template (`--html FILE`); with a text body, both go as multipart/alternative.
    ///   - columns: the list's columns, for the `$name` placeholders.
    public init(body: String, html: String? = nil, columns: [String]) throws(Failure) {
        let (headerLines, bodyText) = Self.splitHeaderBlock(body)
        var headers = headerLines
        var text: String? = bodyText
        var htmlBody = html
        if let index = headers.firstIndex(where: { $0.name.lowercased() == "content-type" }) {
            if headers[index].value.lowercased().contains("text/html") {
                if htmlBody == nil { htmlBody = bodyText }
                text = nil
            }
            // The message's own Content-Type is the builder's to write.
            headers.remove(at: index)
        }
        headers.removeAll { $0.name.lowercased() == "mime-version" }
        self.headers = headers
        self.text = text
        self.html = htmlBody
        let columns = Set(columns).union(["name", "email"])
        var compiled: [CompiledText] = []
        for header in headers {
            compiled.append(try CompiledText(header.value, columns: columns, html: false, what: "\(header.name) header"))
        }
        compiledHeaders = compiled
        compiledText = try text.map { (text) throws(Failure) in
            try CompiledText(text, columns: columns, html: false, what: "body")
        }
        compiledHTML = try htmlBody.map { (html) throws(Failure) in
            try CompiledText(html, columns: columns, html: true, what: "HTML body")
        }
    }

    /// Reads the body template (and the HTML template) from files.
    public init(bodyFile: String, htmlFile: String? = nil, columns: [String]) throws(Failure) {
        let body = try Self.read(bodyFile)
        let html = try htmlFile.map { (path) throws(Failure) in try Self.read(path) }
        try self.init(body: body, html: html, columns: columns)
    }

    /// A template for one header value, like `-s "Hello {{name}}"`.
    public static func compileLine(_ text: String, columns: [String], what: String) throws(Failure) -> CompiledText {
        try CompiledText(text, columns: Set(columns).union(["name", "email"]), html: false, what: what)
    }

    /// The template filled in for one row.
    public func render(_ fields: [String: String]) -> (headers: [Header], text: String?, html: String?) {
        let rendered = zip(headers, compiledHeaders).map { header, compiled in
            Header(name: header.name, value: compiled.render(fields))
        }
        return (rendered, compiledText?.render(fields), compiledHTML?.render(fields))
    }

    static func read(_ path: String) throws(Failure) -> String {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > MailMergeDefaults.maximumFileSize {
                throw Failure.unreadable(path: path, reason: "larger than \(MailMergeDefaults.maximumFileSize) bytes")
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard var text = String(data: data, encoding: .utf8) else {
                throw Failure.unreadable(path: path, reason: "not UTF-8 text")
            }
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            return text
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Takes a header block off the top: header lines (RFC 5322 §2.2 `field-name ":" value`, folded lines
    /// allowed) up to a blank line, the first naming a known header such as To or Subject, so that a body
    /// starting "Dear Ann:" is not mistaken for one.
    static func splitHeaderBlock(_ template: String) -> ([Header], String) {
        let normalized = template.replacingOccurrences(of: "\r\n", with: "\n")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        var headers: [Header] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                index += 1
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { return ([], template) }
            let name = line[..<colon]
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return ([], template)
            }
            if headers.isEmpty && !knownHeaders.contains(name.lowercased()) { return ([], template) }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(Header(name: String(name), value: value))
            index += 1
        }
        // No blank line after the header lines: the whole file is a body.
        guard !headers.isEmpty, index < lines.count else { return ([], template) }
        return (headers, lines[(index + 1)...].joined(separator: "\n"))
    }
}

/// One Mustache template compiled, with the original's `$name`/`${name}` placeholders turned into Mustache.
public struct CompiledText: Sendable {
    private let template: MustacheTemplate

    init(_ text: String, columns: Set<String>, html: Bool, what: String) throws(MergeTemplate.Failure) {
        let source = (html ? "" : "{{% CONTENT_TYPE: TEXT}}") + Self.convertDollarPlaceholders(text, columns: columns)
        do {
            template = try MustacheTemplate(string: source)
        } catch {
            throw .invalid(what: what, reason: "\(error)")
        }
    }

    /// The text filled in with `fields`.
    public func render(_ fields: [String: String]) -> String {
        // An empty field is left out, so that {{#city}}…{{/city}} hides with it and {{city}} writes nothing.
        template.render(fields.filter { !$0.value.isEmpty })
    }

    /// `$name` and `${name}` become `{{name}}` when `name` is a column; other dollars stay as written
    /// ("$5", "$HOME"), and `$$` writes one dollar.
    static func convertDollarPlaceholders(_ text: String, columns: Set<String>) -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                output += "$"
                rest = after.dropFirst()
                continue
            }
            if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                if columns.contains(name) {
                    output += "{{\(name)}}"
                    rest = after[after.index(after: close)...]
                    continue
                }
            }
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty, columns.contains(String(name)) {
                output += "{{\(name)}}"
                rest = after.dropFirst(name.count)
                continue
            }
            output += "$"
            rest = after
        }
        output += rest
        return output
    }
}
