import Foundation
import Ink
import Mustache

/// The message template, filled in once per row of the list.
///
/// It is Mustache (`{{name}}`, `{{email}}`, any column, sections) with the original tool's `$name` and
/// `${column}` placeholders, and an optional block of header lines on top like `mailmerge`'s:
///
///     TO: {{email}}
///     SUBJECT: Hello {{name}}
///     FROM: Me <me@example.com>
///
///     Dear {{name}}, …
public struct MergeTemplate: Sendable {
    /// A header line from the template's header block, value still to be filled in.
    public struct Header: Sendable, Hashable {
        /// The field name as written, such as `To` or `Subject`.
        public var name: String
        /// The field value, with its tags and placeholders not yet filled in.
        public var value: String
        /// Its line in the template file, from 1.
        public var line: Int = 0
    }

    /// Where a template's text came from, for messages.
    ///
    /// That is the file (or what it is, `subject`), and the line of that file its first line is.
    public struct Origin: Sendable, Hashable, CustomStringConvertible {
        /// The template file's name, or what the text is (`subject`) when it did not come from a file.
        public var name: String
        /// The line of that file the text's first line is, from 1.
        public var firstLine: Int
        /// Whether `name` is a file (messages then say "FILE line N").
        public var isFile: Bool

        /// `body.txt line 4`, or `the subject` for a command-line template.
        public func describe(line: Int) -> String {
            isFile ? "\(name) line \(firstLine + line - 1)" : "the \(name)"
        }
        /// The file's name (or `subject`).
        public var description: String { name }
    }

    /// A field tag in the template, where it is.
    public struct FieldUse: Sendable, Hashable {
        /// The field (column) named.
        public var field: String
        /// The tag as written: `{{naem}}`, `{{#city}}`.
        public var tag: String
        /// Where, in words: `body.txt line 4`, `the subject`.
        public var location: String
    }

    /// Errors in reading or parsing a template.
    public enum Failure: Error, CustomStringConvertible, Hashable {
        case unreadable(path: String, reason: String)
        case invalid(what: String, reason: String)

        /// A message a user can act on.
        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read the template \(path): \(reason)"
            case .invalid(let what, let reason): "\(what): \(reason)"
            }
        }
    }

    /// Header lines from the top of the body template (To, Subject, From, Cc, Bcc, Reply-To, any other),
    /// without the ATTACHMENT lines.
    public var headers: [Header]
    /// The ATTACHMENT header lines (`mailmerge`'s): a file to attach each, its path filled in per row.
    public var attachments: [Header]
    /// The plain-text body template, if any.
    public var text: String?
    /// The HTML body template, if any.
    public var html: String?
    /// Whether the body is Markdown (`Content-Type: text/markdown`, `mailmerge`'s convention): it goes as
    /// the text part, and rendered to HTML as the HTML part.
    public var isMarkdown: Bool
    /// The folder of the template file, which ATTACHMENT paths are relative to.
    ///
    /// The working directory when nil.
    public var directory: String?
    /// The template file's name, for messages (`template` when it was given as text).
    public var fileName: String

    private let compiledHeaders: [CompiledText]
    private let compiledAttachments: [CompiledText]
    private let compiledText: CompiledText?
    private let compiledHTML: CompiledText?
    /// The Markdown body again, with fields HTML-escaped, for the HTML part.
    private let compiledMarkdownHTML: CompiledText?

    /// The header names that mark a header block at the top of a template file.
    static let knownHeaders: Set<String> = [
        "to", "subject", "from", "cc", "bcc", "reply-to", "content-type", "mime-version", "sender", "attachment",
    ]

    /// Builds a template from a body template's text and an optional HTML template's text.
    ///
    /// - Parameters:
    ///   - body: the body template; a header block on top is taken off and kept in `headers`. When its
    ///     Content-Type header says `text/html`, the body is HTML; `text/markdown`, Markdown.
    ///   - html: a separate HTML template (`--html FILE`); with a text body, both go as multipart/alternative.
    ///   - columns: the list's columns, for the `$name` placeholders.
    ///   - bodyPath: the body template's file, for messages and ATTACHMENT paths.
    ///   - htmlPath: the HTML template's file, for messages.
    public init(
        body: String,
        html: String? = nil,
        columns: [String],
        bodyPath: String? = nil,
        htmlPath: String? = nil
    ) throws(Failure) {
        let (headerLines, bodyText, bodyLine) = Self.splitHeaderBlock(body)
        var headers = headerLines
        var text: String? = bodyText
        var htmlBody = html
        var markdown = false
        if let index = headers.firstIndex(where: { $0.name.lowercased() == "content-type" }) {
            let type = headers[index].value.lowercased()
            if type.contains("text/html") {
                if htmlBody == nil { htmlBody = bodyText }
                text = nil
            } else if type.contains("text/markdown") {
                markdown = htmlBody == nil
            }
            // The message's own Content-Type is the builder's to write.
            headers.remove(at: index)
        }
        headers.removeAll { $0.name.lowercased() == "mime-version" }
        attachments = headers.filter { $0.name.lowercased() == "attachment" }
        headers.removeAll { $0.name.lowercased() == "attachment" }
        self.headers = headers
        self.text = text
        self.html = htmlBody
        isMarkdown = markdown
        directory = bodyPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }

        let columns = Set(columns).union(["name", "email"])
        let bodyName = bodyPath.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "template"
        fileName = bodyName
        func origin(_ line: Int) -> Origin { Origin(name: bodyName, firstLine: line, isFile: true) }
        var compiled: [CompiledText] = []
        for header in headers {
            compiled.append(try CompiledText(header.value, columns: columns, html: false, origin: origin(header.line)))
        }
        compiledHeaders = compiled
        compiled = []
        for header in attachments {
            compiled.append(try CompiledText(header.value, columns: columns, html: false, origin: origin(header.line)))
        }
        compiledAttachments = compiled
        compiledText = try text.map { (text) throws(Failure) in
            try CompiledText(text, columns: columns, html: false, origin: origin(bodyLine))
        }
        compiledMarkdownHTML = try text.flatMap { (text) throws(Failure) in
            markdown ? try CompiledText(text, columns: columns, html: true, origin: origin(bodyLine)) : nil
        }
        let htmlOrigin =
            html == nil
            ? origin(bodyLine)
            : Origin(
                name: htmlPath.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "HTML template",
                firstLine: 1,
                isFile: true
            )
        compiledHTML = try htmlBody.map { (html) throws(Failure) in
            try CompiledText(html, columns: columns, html: true, origin: htmlOrigin)
        }
    }

    /// Reads the body template (and the HTML template) from files.
    public init(bodyFile: String, htmlFile: String? = nil, columns: [String]) throws(Failure) {
        let body = try Self.read(bodyFile)
        let html = try htmlFile.map { (path) throws(Failure) in try Self.read(path) }
        try self.init(body: body, html: html, columns: columns, bodyPath: bodyFile, htmlPath: htmlFile)
    }

    /// A template for one header value, like `-s "Hello {{name}}"`.
    public static func compileLine(_ text: String, columns: [String], what: String) throws(Failure) -> CompiledText {
        try CompiledText(
            text,
            columns: Set(columns).union(["name", "email"]),
            html: false,
            origin: Origin(name: what, firstLine: 1, isFile: false)
        )
    }

    /// Every field tag of the template (headers, attachments, bodies), in order.
    public var fieldUses: [FieldUse] {
        (compiledHeaders + compiledAttachments + [compiledText, compiledHTML].compactMap { $0 }).flatMap(\.fieldUses)
    }

    /// One row's message parts, filled in.
    public struct Rendered: Sendable, Hashable {
        /// The header lines, filled in.
        public var headers: [Header]
        /// The ATTACHMENT paths as written for this row (not yet resolved against `directory`).
        public var attachments: [Header]
        /// The text body, filled in, if the template has one.
        public var text: String?
        /// The HTML body, filled in, if the template has one.
        public var html: String?
    }

    /// The template filled in for one row.
    public func render(_ fields: [String: String]) -> Rendered {
        let rendered = zip(headers, compiledHeaders).map { header, compiled in
            Header(name: header.name, value: compiled.render(fields), line: header.line)
        }
        let attachments = zip(attachments, compiledAttachments).map { header, compiled in
            Header(name: header.name, value: compiled.render(fields), line: header.line)
        }
        var html = compiledHTML?.render(fields)
        if let markdown = compiledMarkdownHTML {
            html = "<html><body>\n" + MarkdownParser().html(from: markdown.render(fields)) + "\n</body></html>\n"
        }
        return Rendered(headers: rendered, attachments: attachments, text: compiledText?.render(fields), html: html)
    }

    static func read(_ path: String) throws(Failure) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file")
        }
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

    /// Takes a header block off the top of a template.
    ///
    /// The block is header lines (RFC 5322 §2.2 `field-name ":" value`, folded lines allowed) up to a blank
    /// line, the first naming a known header such as To or Subject, so that a body starting "Dear Ann:" is
    /// not mistaken for one. Returns the headers, the body, and the body's first line.
    static func splitHeaderBlock(_ template: String) -> ([Header], String, Int) {
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
            guard let colon = line.firstIndex(of: ":") else { return ([], template, 1) }
            let name = line[..<colon]
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return ([], template, 1)
            }
            if headers.isEmpty && !knownHeaders.contains(name.lowercased()) { return ([], template, 1) }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(Header(name: String(name), value: value, line: index + 1))
            index += 1
        }
        // No blank line after the header lines: the whole file is a body.
        guard !headers.isEmpty, index < lines.count else { return ([], template, 1) }
        return (headers, lines[(index + 1)...].joined(separator: "\n"), index + 2)
    }
}

/// One Mustache template compiled, with the original's `$name`/`${name}` placeholders turned into Mustache.
public struct CompiledText: Sendable {
    private let template: MustacheTemplate
    /// The field tags, where they are.
    public let fieldUses: [MergeTemplate.FieldUse]

    /// The pragma that turns HTML escaping off for a text template.
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    init(_ text: String, columns: Set<String>, html: Bool, origin: MergeTemplate.Origin) throws(MergeTemplate.Failure) {
        let converted = Self.convertDollarPlaceholders(text, columns: columns)
        let tags = MustacheTags(converted)
        if let (tag, reason) = tags.sectionProblem(lineOffset: origin.isFile ? origin.firstLine - 1 : 0) {
            throw .invalid(what: origin.describe(line: tag.line) + ", column \(tag.column)", reason: reason)
        }
        fieldUses = tags.tags.filter { $0.kind != .sectionClose }.map {
            MergeTemplate.FieldUse(field: $0.field, tag: $0.text, location: origin.describe(line: $0.line))
        }
        do {
            template = try MustacheTemplate(string: (html ? "" : Self.textPragma) + converted)
        } catch let error as MustacheTemplate.ParserError {
            let context = error.context
            // The pragma shares the first line with the text.
            let column = context.columnNumber - (context.lineNumber == 1 && !html ? Self.textPragma.count : 0)
            throw .invalid(
                what: origin.describe(line: context.lineNumber) + (origin.isFile ? ", column \(max(column, 1))" : ""),
                reason: Self.words(for: error.error) + Self.quoting(context.line, html: html)
            )
        } catch {
            throw .invalid(what: origin.describe(line: 1), reason: "not a valid Mustache template")
        }
    }

    /// The line the parser stopped on, as the user wrote it (without the pragma put before it).
    static func quoting(_ line: String, html: Bool) -> String {
        var line = Substring(line)
        if !html, line.hasPrefix(textPragma) { line = line.dropFirst(textPragma.count) }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "" : " (in \"\(trimmed.prefix(80))\")"
    }

    /// swift-mustache's parse errors in words.
    static func words(for error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "not a valid Mustache template" }
        switch error {
        case .sectionCloseNameIncorrect: return "a section is closed with another name than it was opened with"
        case .unfinishedName: return "a tag is not finished: {{name}} needs its closing }}"
        case .expectedSectionEnd: return "a section is never closed"
        case .invalidSetDelimiter: return "a {{=…=}} delimiter tag is badly written"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: return "a {{%…}} pragma is not understood"
        default: return "partials and template inheritance are not supported in a mail merge"
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
