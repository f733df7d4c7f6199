import Foundation

/// The tags of a Mustache template as written, with where each is: what swift-mustache does not tell —
/// which fields a template uses (an unknown one renders as nothing, where `mailmerge` stops), and which
/// section is left open (the parser only says it reached the end of the text).
struct MustacheTags {
    /// One `{{…}}` tag that names a field.
    struct Tag: Hashable {
        enum Kind: Hashable {
            /// `{{name}}`, `{{{name}}}`, `{{&name}}`.
            case variable
            /// `{{#name}}` or `{{^name}}`.
            case sectionOpen
            /// `{{/name}}`.
            case sectionClose
        }
        var kind: Kind
        /// The field: the first part of a dotted name, the argument of a transform (`{{uppercased(name)}}`).
        var field: String
        /// The whole tag as written, for messages.
        var text: String
        /// Line and column in the text, from 1.
        var line: Int
        var column: Int
    }

    /// The field tags, in order.
    var tags: [Tag] = []
    /// Whether a `{{=<% %>=}}` tag changes the delimiters; the scan stops there, and so do the checks.
    var changesDelimiters = false

    /// Scans `text`.
    init(_ text: String) {
        var line = 1
        var lineStart = text.startIndex
        var counted = text.startIndex  // newlines before this index are in `line`
        var index = text.startIndex
        while let open = text[index...].range(of: "{{") {
            for position in text[counted..<open.lowerBound].indices where text[position] == "\n" {
                line += 1
                lineStart = text.index(after: position)
            }
            counted = open.lowerBound
            let column = text.distance(from: lineStart, to: open.lowerBound) + 1
            let triple = text[open.upperBound...].hasPrefix("{")
            guard let close = text[open.upperBound...].range(of: triple ? "}}}" : "}}") else { break }
            let inner = text[open.upperBound..<close.lowerBound].dropFirst(triple ? 1 : 0)
            index = close.upperBound
            var name = inner
            let kind: Tag.Kind
            switch inner.first {
            case "#", "^":
                kind = .sectionOpen
                name = inner.dropFirst()
            case "/":
                kind = .sectionClose
                name = inner.dropFirst()
            case "&":
                kind = .variable
                name = inner.dropFirst()
            case "=":
                changesDelimiters = true
                return
            case "!", ">", "<", "$", "%":
                // Comments, partials, inheritance and pragmas name no field.
                continue
            default:
                kind = .variable
            }
            let field = Self.field(in: name.trimmingCharacters(in: .whitespacesAndNewlines))
            guard !field.isEmpty else { continue }
            let whole = String(text[open.lowerBound..<close.upperBound])
            tags.append(Tag(kind: kind, field: field, text: whole, line: line, column: column))
        }
    }

    /// `a.b` → `a`, `uppercased(name)` → `name`, `.` → "" (the current item, no field).
    static func field(in name: String) -> String {
        var name = Substring(name)
        if let open = name.lastIndex(of: "("), let close = name.lastIndex(of: ")"), open < close {
            name = name[name.index(after: open)..<close]
        }
        if name == "." { return "" }
        return String(name.split(separator: ".", maxSplits: 1).first ?? "")
    }

    /// The first section that is closed by another name or never closed, with what is wrong, if any;
    /// `lineOffset` turns the text's line numbers into the file's.
    func sectionProblem(lineOffset: Int = 0) -> (tag: Tag, reason: String)? {
        var open: [Tag] = []
        for tag in tags {
            switch tag.kind {
            case .variable: continue
            case .sectionOpen: open.append(tag)
            case .sectionClose:
                guard let last = open.popLast() else {
                    return (tag, "\(tag.text) closes a section that was never opened")
                }
                if last.field != tag.field {
                    return (
                        tag,
                        "\(tag.text) closes \(last.text), opened on line \(last.line + lineOffset); close it with {{/\(last.field)}}"
                    )
                }
            }
        }
        if let last = open.last {
            return (last, "\(last.text) opens a section that is never closed (write {{/\(last.field)}} after it)")
        }
        return nil
    }
}
