// libFuzzer harness: a header block through the RFC 5322 header parser and unfolding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = MessageHeader.parse(bytes)
    fuzzCheck(parsed.bodyStart >= 0 && parsed.bodyStart <= bytes.count, "body start \(parsed.bodyStart)")
    // Parsing a slice must give offsets in the slice's own indices.
    let padded = [UInt8](repeating: 0x41, count: 7) + bytes
    let shifted = MessageHeader.parse(padded[7...])
    fuzzCheck(shifted.bodyStart == parsed.bodyStart + 7, "slice body start")
    fuzzCheck(shifted.header.fields.map(\.range) == parsed.header.fields.map { ($0.range.lowerBound + 7)..<($0.range.upperBound + 7) }, "slice field ranges")
    var previousEnd = 0
    for field in parsed.header {
        fuzzCheck(field.range.lowerBound >= previousEnd, "fields overlap or go backwards")
        fuzzCheck(field.range.upperBound <= parsed.bodyStart, "field past the header")
        previousEnd = field.range.upperBound
        let unfolded = field.unfoldedValue
        fuzzCheck(!unfolded.contains(0x0A), "unfolded value still holds a line feed")
        _ = field.value
        _ = field.decodedValue
        _ = field.hasName("Subject")
        // The field's bytes are kept as they came: name, colon, raw value, then the line break.
        let original = bytes[field.range]
        fuzzCheck(original.starts(with: field.isMalformed ? field.rawValue : Array(field.name.utf8)), "name bytes")
    }
    // The header's bytes come back out unchanged when they were CRLF-terminated: re-encoding and
    // parsing again gives the same fields.
    let reencoded = parsed.header.encoded
    let again = MessageHeader.parse(reencoded + [0x0D, 0x0A])
    if !bytes.contains(0x0D) {
        fuzzCheck(again.header.fields.map(\.name) == parsed.header.fields.map(\.name), "names after re-encoding")
    }
    _ = parsed.header.subject
    _ = parsed.header.from
    _ = parsed.header.to
    _ = parsed.header.references
    _ = parsed.header["Message-ID"]
    return 0
}
