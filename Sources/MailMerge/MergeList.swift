import Foundation

/// The recipient list: a CSV file (RFC 4180, comma, semicolon or tab as its first line says; see `CSVText`).
///
/// The original tool's lists have two columns, `name,email`, and no header row; such a list works as is.
/// A first row that names an address column (`email`, `e-mail`, `mail`, `address`…) and holds no address
/// there is a header row: every column then becomes a template field under its name.
public struct MergeList: Sendable {
    /// One data row.
    public struct Row: Sendable, Hashable {
        /// The row's number among the data rows, from 1 (a header row is not counted).
        public var number: Int
        /// Each column's value, by column name.
        public var fields: [String: String]
        /// The line of the file the row starts on, from 1.
        public var line: Int
        /// The recipient's address.
        public var address: String
        /// Why the address cannot be used, if it cannot.
        public var problem: String?
    }

    /// The column names, from the header row or `name`, `email` for the original's lists.
    public var columns: [String]
    /// Whether the first row was a header row.
    public var hasHeaderRow: Bool
    /// The column holding addresses.
    public var addressColumn: String
    /// The data rows, blank lines left out.
    public var rows: [Row]
    /// The field delimiter found on the first line: `,`, `;` or a tab.
    public var delimiter: Character

    /// Errors in reading the list.
    public enum Failure: Error, CustomStringConvertible, Hashable {
        case unreadable(path: String, reason: String)
        case notUTF8(path: String)
        case malformed(path: String?, reason: String)
        case empty
        case tooLarge(path: String)

        /// A message a user can act on.
        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read the list \(path): \(reason)"
            case .notUTF8(let path): "the list \(path) is not UTF-8 text"
            case .malformed(let path, let reason): "the list \(path.map { $0 + " " } ?? "")is not valid CSV: \(reason)"
            case .empty: "the list has no rows"
            case .tooLarge(let path): "the list \(path) is larger than \(MailMergeDefaults.maximumListSize) bytes"
            }
        }
    }

    /// Reads the list at `path`.
    public init(contentsOf path: String) throws(Failure) {
        let data: Data
        guard FileManager.default.fileExists(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > MailMergeDefaults.maximumListSize {
                throw Failure.tooLarge(path: path)
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8(path: path) }
        do {
            try self.init(text: text)
        } catch .malformed(_, let reason) {
            throw .malformed(path: path, reason: reason)
        }
    }

    /// Parses CSV text.
    public init(text: String) throws(Failure) {
        // A UTF-8 byte-order mark is not part of the first field.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let delimiter = CSVText.detectDelimiter(text)
        self.delimiter = Character(delimiter)
        var records: [CSVText.Record]
        do {
            records = try CSVText.parse(text, delimiter: delimiter)
        } catch {
            throw .malformed(path: nil, reason: error.description)
        }
        records.removeAll { $0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        guard let first = records.first else { throw .empty }

        let header = Self.headerColumns(first.fields)
        hasHeaderRow = header != nil
        if let header {
            columns = header.columns
            addressColumn = header.addressColumn
            records.removeFirst()
        } else {
            columns = Self.defaultColumns(count: first.fields.count)
            addressColumn = "email"
        }
        let columns = self.columns
        let addressColumn = self.addressColumn
        rows = records.enumerated().map { index, record in
            var fields: [String: String] = [:]
            for (column, value) in zip(columns, record.fields) {
                fields[column] = value.trimmingCharacters(in: .whitespaces)
            }
            let address = fields[addressColumn] ?? ""
            let problem: String? =
                record.fields.count > columns.count && !columns.isEmpty
                ? "the row has \(record.fields.count) fields; the list has \(columns.count) columns"
                : RecipientAddress.problem(with: address).map { problem in
                    // "Ann;ann@x.test" in a list whose first line has commas: say so rather than only "no @".
                    problem
                        + (Self.otherDelimiter(in: record.fields, than: delimiter).map {
                            " (the row holds \($0), but the list's delimiter, from its first line, is "
                                + "\(Self.name(of: delimiter)))"
                        } ?? "")
                }
            return Row(number: index + 1, fields: fields, line: record.line, address: address, problem: problem)
        }
    }

    /// The columns of a list without a header row, named as the original tool names them.
    ///
    /// Two columns are `name,email`; a single column is `email`; more are `column3`, `column4`, and so on.
    static func defaultColumns(count: Int) -> [String] {
        if count <= 1 { return ["email"] }
        return ["name", "email"] + (2..<count).map { "column\($0 + 1)" }
    }

    /// The header row's column names, when `first` is one: it names an address column and holds no address.
    static func headerColumns(_ first: [String]) -> (columns: [String], addressColumn: String)? {
        let names = first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard
            let addressIndex = names.firstIndex(where: {
                MailMergeDefaults.addressColumnNames.contains($0.lowercased())
            })
        else { return nil }
        if names.contains(where: RecipientAddress.isValid) { return nil }
        var seen: Set<String> = []
        let columns = names.enumerated().map { index, name in
            var unique = name.isEmpty ? "column\(index + 1)" : name
            while seen.contains(unique) { unique += "_\(index + 1)" }
            seen.insert(unique)
            return unique
        }
        // Templates may say {{email}} whatever the header calls the column.
        return (columns, columns[addressIndex])
    }

    /// A delimiter's name for a message.
    static func name(of delimiter: Unicode.Scalar) -> String {
        delimiter == "\t" ? "a tab" : "\"\(delimiter)\""
    }

    /// Another delimiter a row's fields hold, when a list mixes them (a hint for the message).
    static func otherDelimiter(in fields: [String], than delimiter: Unicode.Scalar) -> String? {
        guard !fields.isEmpty else { return nil }
        return CSVText.delimiters.first { other in
            other != delimiter && fields.contains { $0.unicodeScalars.contains(other) }
        }.map(name(of:))
    }
}
