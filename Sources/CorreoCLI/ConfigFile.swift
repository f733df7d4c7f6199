import Foundation
import TOMLKit

/// A configuration file (`--config correo.toml`, `CORREO_CONFIG`): flat TOML, one key per setting, each key a
/// long flag without `--` (ConfigKey.all).
///
/// Its values sit below the `CORREO_…` environment and above the defaults; every value is checked for its kind on
/// loading, so a later error can name the file and line.
struct ConfigFile: Sendable, Equatable {
    /// One `key = value` line, its value in the form a `CORREO_…` variable would have (lists joined by
    /// commas, switches as 1 or 0).
    struct Entry: Sendable, Equatable {
        let key: String
        let text: String
        let line: Int
    }

    /// The path as given, for messages.
    let path: String
    /// The entries in the order of their lines.
    let entries: [Entry]

    /// The value for `CORREO_<variable>`'s key, if the file sets it.
    func value(variable: String) -> String? {
        entries.first { ConfigKey.named($0.key)?.variable == variable }?.text
    }

    /// The entry for `key`, if the file sets it.
    func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }

    /// Reads and checks the file at `path`.
    static func load(path: String) throws -> ConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigFileError(path: path, line: nil, key: nil, reason: "cannot be read (\(Self.reason(error)))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(path: path, line: nil, key: nil, reason: "is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Checks `text`: TOML syntax, known keys only, each value of its key's kind.
    static func parse(_ text: String, path: String) throws -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigFileError(path: path, line: error.source.begin.line, key: nil, reason: error.description)
        }
        let lines = keyLines(text)
        var entries: [Entry] = []
        var problems: [ConfigFileError] = []
        for name in table.keys {
            let line = lines[name] ?? 0
            guard let key = ConfigKey.named(name), let value = table[name] else {
                let hint = suggestion(for: name).map { " (did you mean \($0)?)" } ?? ""
                problems.append(ConfigFileError(path: path, line: line, key: name, reason: "unknown key\(hint)"))
                continue
            }
            do {
                entries.append(Entry(key: name, text: try variableText(of: value, as: key.kind), line: line))
            } catch let reason as KindMismatch {
                problems.append(ConfigFileError(path: path, line: line, key: name, reason: reason.expected))
            }
        }
        // The first problem in the file's own order, as a compiler would report it.
        if let first = problems.min(by: { ($0.line ?? 0) < ($1.line ?? 0) }) { throw first }
        return ConfigFile(path: path, entries: entries.sorted { $0.line < $1.line })
    }

    private struct KindMismatch: Error {
        let expected: String
    }

    /// The value as a `CORREO_…` variable would carry it.
    private static func variableText(of value: any TOMLValueConvertible, as kind: ConfigKey.Kind) throws -> String {
        switch kind {
        case .string:
            guard let string = value.string else {
                throw KindMismatch(expected: "expected a string in quotes, found \(value.type)")
            }
            return string
        case .integer:
            guard let number = value.int else {
                throw KindMismatch(expected: "expected a whole number, found \(value.type)")
            }
            return String(number)
        case .switch:
            guard let flag = value.bool else {
                throw KindMismatch(expected: "expected true or false, found \(value.type)")
            }
            return flag ? "1" : "0"
        case .list:
            if let string = value.string { return string }
            let expected = KindMismatch(
                expected: "expected a list of strings such as [\"a\", \"b\"], found \(value.type)"
            )
            guard let array = value.array else { throw expected }
            var items: [String] = []
            for item in array {
                guard let string = item.string, !string.contains(",") else { throw expected }
                items.append(string)
            }
            return items.joined(separator: ",")
        }
    }

    /// The line of each top-level key (and of each `[table]` header, which is an unknown key here): TOMLKit
    /// keeps no positions, and TOML allows a key only once, so the first `name =` before any table is it.
    static func keyLines(_ text: String) -> [String: Int] {
        var lines: [String: Int] = [:]
        var topLevel = true
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                topLevel = false
                let name = line.drop { $0 == "[" }.prefix { $0 != "]" && $0 != "." }
                    .trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
                if lines[name] == nil { lines[name] = index + 1 }
                continue
            }
            guard topLevel, let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
                .prefix { $0 != "." }
                .trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            if lines[name] == nil { lines[name] = index + 1 }
        }
        return lines
    }

    /// A known key close to a misspelt one: one with the same letters apart from `-` and `_`, or at most two
    /// edits away.
    static func suggestion(for name: String) -> String? {
        let plain = name.lowercased().replacingOccurrences(of: "_", with: "-")
        if let same = ConfigKey.named(plain) { return same.name }
        return ConfigKey.all.map(\.name).min { distance($0, plain) < distance($1, plain) }
            .flatMap { distance($0, plain) <= 2 ? $0 : nil }
    }

    /// The Levenshtein distance: letters inserted, removed or replaced.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}

/// A mistake in the configuration file, named by file, line and key: `correo.toml:7: smtp-port: expected a
/// whole number, found string`.
struct ConfigFileError: Error, Equatable, CustomStringConvertible {
    let path: String
    let line: Int?
    let key: String?
    let reason: String

    var description: String {
        var place = path
        if let line, line > 0 { place += ":\(line)" }
        if let key { place += ": \(key)" }
        return "\(place): \(reason)"
    }
}
