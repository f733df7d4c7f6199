/// RFC 4180 CSV, read strictly enough to say where a file goes wrong.
///
/// A quote that is never closed, or text after a closing quote, is an error naming the line, not a field swallowed into
/// the next rows and then reported as a bad address. The delimiter is `,`, `;` (what spreadsheets write where the comma
/// is the decimal mark) or a tab, whichever the first line uses most, like Python's `csv.Sniffer` that the `mailmerge`
/// tool uses.
struct CSVText {
    /// One record and the line it starts on, from 1.
    struct Record: Hashable {
        var fields: [String]
        var line: Int
    }

    /// Why the text is not CSV.
    enum Failure: Error, Hashable, CustomStringConvertible {
        /// A quoted field opened on `line` runs to the end of the file.
        case unterminatedQuote(line: Int)
        /// A quoted field closed on `line` is followed by something other than a delimiter or a line end.
        case textAfterClosingQuote(line: Int, text: String)

        /// A message a user can act on.
        var description: String {
            switch self {
            case .unterminatedQuote(let line):
                "line \(line): a quoted field starts here and its closing quote never comes "
                    + "(a quote inside a quoted field is written twice: \"\")"
            case .textAfterClosingQuote(let line, let text):
                "line \(line): \"\(text)\" follows a closing quote; a field that holds quotes is quoted whole, "
                    + "its quotes doubled (\"a \"\"b\"\" c\")"
            }
        }
    }

    /// The delimiters recognised, in the order that breaks a tie.
    static let delimiters: [Unicode.Scalar] = [",", ";", "\t"]

    /// The delimiter the first non-blank line uses most outside quotes; a comma when it uses none.
    static func detectDelimiter(_ text: String) -> Unicode.Scalar {
        let firstLine = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) } ?? ""
        var counts: [Unicode.Scalar: Int] = [:]
        var quoted = false
        for scalar in firstLine.unicodeScalars {
            if scalar == "\"" {
                quoted.toggle()
            } else if !quoted, delimiters.contains(scalar) {
                counts[scalar, default: 0] += 1
            }
        }
        var best: Unicode.Scalar = ","
        var bestCount = 0
        for delimiter in delimiters where counts[delimiter, default: 0] > bestCount {
            best = delimiter
            bestCount = counts[delimiter, default: 0]
        }
        return best
    }

    /// The records of `text`, split at `delimiter`; CRLF, LF and CR all end a record.
    static func parse(_ text: String, delimiter: Unicode.Scalar) throws(Failure) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var quoteLine = 0
        var inQuotes = false
        var afterClosingQuote = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            afterClosingQuote = false
        }
        func endRecord() {
            endField()
            records.append(Record(fields: fields, line: recordLine))
            fields = []
        }

        while let scalar = pending ?? scalars.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = scalars.next()
                    if next == "\"" {
                        field.append("\"")
                    } else {
                        inQuotes = false
                        afterClosingQuote = true
                        pending = next
                    }
                    continue
                }
                if scalar == "\n" || (scalar == "\r" && !peekIsLineFeed(&scalars, &pending)) { line += 1 }
                field.append(scalar)
                continue
            }
            switch scalar {
            case delimiter:
                endField()
            case "\r", "\n":
                if scalar == "\r" { _ = peekIsLineFeed(&scalars, &pending, consume: true) }
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !afterClosingQuote:
                inQuotes = true
                quoteLine = line
            default:
                if afterClosingQuote {
                    var rest = String.UnicodeScalarView([scalar])
                    while let next = scalars.next(), next != delimiter, next != "\r", next != "\n", rest.count < 20 {
                        rest.append(next)
                    }
                    throw .textAfterClosingQuote(line: line, text: String(rest))
                }
                field.append(scalar)
            }
        }
        if inQuotes { throw .unterminatedQuote(line: quoteLine) }
        if !field.isEmpty || !fields.isEmpty || afterClosingQuote { endRecord() }
        return records
    }

    /// Whether the next scalar is a line feed; it is consumed when `consume`, kept in `pending` otherwise.
    private static func peekIsLineFeed(
        _ scalars: inout String.UnicodeScalarView.Iterator,
        _ pending: inout Unicode.Scalar?,
        consume: Bool = false
    ) -> Bool {
        let next = scalars.next()
        if next == "\n" {
            if !consume { pending = next }
            return true
        }
        pending = next
        return false
    }
}
