import Foundation

/// The parameters of a request's query string (`a=1&b=x%40y`), `+` as a space, percent-decoded;
/// the first of a repeated name wins.
struct DevQuery {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
    }

    /// The value, nil when absent or empty.
    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A whole number in `range`, the default when absent; an error message when malformed or empty.
    func number(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(DevAPIError) -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw DevAPIError(
                .badRequest,
                "\(name)=\(text): give a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }

    /// A time (RFC 3339 or seconds since 1970), nil when absent; an error message when malformed or empty.
    func time(_ name: String) throws(DevAPIError) -> Date? {
        guard let text = values[name] else { return nil }
        guard let date = DevTime.parse(text) else {
            throw DevAPIError(
                .badRequest,
                "\(name)=\(text): give an RFC 3339 time (2026-12-03T18:00:00Z) or seconds since 1970"
            )
        }
        return date
    }

    /// The list filter: to, from, subject, since, before.
    func filter() throws(DevAPIError) -> DevMessageFilter {
        DevMessageFilter(
            to: self["to"],
            from: self["from"],
            subject: self["subject"],
            since: try time("since"),
            before: try time("before")
        )
    }
}
