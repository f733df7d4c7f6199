// libFuzzer harness: a whole message through the MIME parser; every part walked, every range
// checked against the message, every header and body decoded.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMIME(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let message = Array(UnsafeBufferPointer(start: data, count: size))
    let root = MIMEPart.parse(message)
    let fromBuffer = message.withUnsafeBufferPointer { MIMEPart.parse(buffer: $0) }
    fuzzCheck(fromBuffer == root, "parse(buffer:) differs from parse(_:)")
    fuzzCheck(root.range == 0..<message.count, "root covers \(root.range) of \(message.count)")
    walk(root, in: message, section: [], root: root, depth: 0)
    _ = root.descendants.count
    return 0
}

/// `section` is the part's IMAP section path, nil where the path is not defined (below the root's own
/// encapsulated message).
private func walk(_ part: MIMEPart, in message: [UInt8], section: [Int]?, root: MIMEPart, depth: Int) {
    fuzzCheck(depth <= 2 * MailCoreDefaults.maxMIMEDepth + 2, "depth \(depth) past the limit")
    let count = message.count
    fuzzCheck(part.headerRange.lowerBound >= 0 && part.headerRange.upperBound <= count, "header range")
    fuzzCheck(part.bodyRange.lowerBound >= 0 && part.bodyRange.upperBound <= count, "body range")
    fuzzCheck(part.headerRange.upperBound == part.bodyRange.lowerBound, "header does not meet body")
    fuzzCheck(part.contentType.isMultipart == !part.children.isEmpty, "multipart type without children or the reverse")
    fuzzCheck(part.children.count <= MailCoreDefaults.maxMultipartChildren, "too many children")
    let body = part.rawBody(in: message)
    fuzzCheck(body.count == part.bodySize, "body size")
    // IMAP body-fld-lines and the CRLF size must agree with the bytes themselves.
    let lineFeeds = body.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    // Line feeds only: a last line without one ends at the CRLF that belongs to the next boundary
    // (RFC 2046 5.1.1), and IMAP servers (Dovecot) do not count it.
    let expectedLines = lineFeeds
    fuzzCheck(part.bodyLineCount == expectedLines, "line count \(part.bodyLineCount) vs \(expectedLines)")
    fuzzCheck(part.bareLineFeedCount == LineEnds.bareLineFeedCount(in: body), "bare LF count")
    _ = part.rawHeader(in: message)
    for field in part.header {
        fuzzCheck(field.range.upperBound <= count, "field range")
        _ = field.value
        _ = field.decodedValue
        _ = field.encoded
    }
    _ = part.header.subject
    _ = part.header.from
    _ = part.header.to
    _ = part.header.cc
    _ = part.header.messageID
    _ = part.header.inReplyTo
    _ = part.header.references
    _ = part.header.field(named: "Date").flatMap { MessageDate.parse($0.unfoldedValue) }?.formatted
    _ = part.contentType.encoded
    _ = part.contentDisposition?.encoded
    _ = part.filename
    _ = part.contentDescription
    _ = part.contentLanguage
    _ = part.decodedBody(in: message)
    if part.contentType.isText { _ = part.text(in: message) }
    if let section, !section.isEmpty {
        fuzzCheck(root.part(at: section) == part, "section \(section) does not lead back to its part")
    }
    for (index, child) in part.children.enumerated() {
        fuzzCheck(child.range.lowerBound >= part.bodyRange.lowerBound, "child starts before parent body")
        fuzzCheck(child.range.upperBound <= part.bodyRange.upperBound, "child ends after parent body")
        walk(child, in: message, section: section.map { $0 + [index + 1] }, root: root, depth: depth + 1)
    }
    if let inner = part.encapsulatedMessage {
        fuzzCheck(inner.range.lowerBound >= part.bodyRange.lowerBound, "message starts before body")
        fuzzCheck(inner.range.upperBound <= part.bodyRange.upperBound, "message ends after body")
        // After a message/rfc822 part, its body parts are numbered under the part's own section.
        let nested = section.flatMap { $0.isEmpty ? nil : $0 }
        if inner.isMultipart {
            for (index, child) in inner.children.enumerated() {
                walk(child, in: message, section: nested.map { $0 + [index + 1] }, root: root, depth: depth + 1)
            }
        } else {
            walk(inner, in: message, section: nested.map { $0 + [1] }, root: root, depth: depth + 1)
        }
    }
}
