import Foundation

/// Splits a migration's SQL into single statements, for PostgreSQL's extended query protocol (which
/// takes one statement per query).
///
/// A `;` ends a statement only outside quotes (`'…'`, `"…"`), dollar quotes (`$$…$$`, `$tag$…$tag$`)
/// and comments (`-- …`, `/* … */`), so that a function body or a string may hold one.
enum SQLStatements {
    /// The statements of `sql`, trimmed, without the empty ones.
    static func split(_ sql: String) -> [String] {
        let characters = Array(sql)
        var statements: [String] = []
        var current: [Character] = []
        var index = 0
        func finish() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, !text.allSatisfy({ $0 == ";" }) { statements.append(text) }
            current = []
        }
        while index < characters.count {
            let end = endOfQuotedPart(characters, at: index)
            if end > index {
                current.append(contentsOf: characters[index..<end])
                index = end
                continue
            }
            if characters[index] == ";" {
                finish()
            } else {
                current.append(characters[index])
            }
            index += 1
        }
        finish()
        return statements
    }

    /// Where the quoted part or comment starting at `index` ends (one past it).
    ///
    /// `index` itself when none starts there; an unterminated one runs to the end.
    private static func endOfQuotedPart(_ characters: [Character], at index: Int) -> Int {
        let character = characters[index]
        let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
        switch character {
        case "'", "\"":
            // A doubled quote inside is an escaped quote: scanning on past it finds the real end.
            var position = index + 1
            while position < characters.count {
                if characters[position] == character {
                    if position + 1 < characters.count, characters[position + 1] == character {
                        position += 2
                        continue
                    }
                    return position + 1
                }
                position += 1
            }
            return characters.count
        case "-" where next == "-":
            return (characters[index...].firstIndex(of: "\n") ?? characters.count - 1) + 1
        case "/" where next == "*":
            return find(["*", "/"], in: characters, from: index + 2).map { $0 + 2 } ?? characters.count
        case "$":
            guard let tag = dollarTag(characters, at: index) else { return index }
            let afterTag = index + tag.count
            return find(tag, in: characters, from: afterTag).map { $0 + tag.count } ?? characters.count
        default:
            return index
        }
    }

    /// The tag `$…$` starting at `index` (letters, digits and `_`, not starting with a digit), if any.
    private static func dollarTag(_ characters: [Character], at index: Int) -> [Character]? {
        var position = index + 1
        while position < characters.count, characters[position] != "$" {
            let character = characters[position]
            let allowed = character == "_" || character.isLetter || (character.isNumber && position > index + 1)
            guard allowed else { return nil }
            position += 1
        }
        guard position < characters.count else { return nil }
        return Array(characters[index...position])
    }

    private static func find(_ needle: [Character], in characters: [Character], from start: Int) -> Int? {
        guard needle.count <= characters.count else { return nil }
        var position = start
        while position + needle.count <= characters.count {
            if characters[position..<(position + needle.count)].elementsEqual(needle) { return position }
            position += 1
        }
        return nil
    }
}
