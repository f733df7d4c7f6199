/// `text` with the five characters that are special in XML and HTML escaped, for element content and
/// quoted attribute values: the autoconfig and autodiscover documents and the developer's web page.
///
/// The apostrophe becomes `&#39;`, which XML and HTML both read (HTML 4 has no `&apos;`).
func markupEscaped(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.append(character)
        }
    }
    return escaped
}
