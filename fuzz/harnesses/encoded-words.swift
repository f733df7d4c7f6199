// libFuzzer harness: RFC 2047 encoded-word decoding and encoding, RFC 2231 MIME parameters.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEncodedWords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = EncodedWord.decode(bytes)
    let parameters = MIMEParameters.parse(bytes[...])
    var seen = Set<String>()
    for parameter in parameters {
        fuzzCheck(seen.insert(parameter.name).inserted, "parameter \(parameter.name) twice")
        fuzzCheck(parameter.name == parameter.name.lowercased(), "name not lowercased")
    }
    // Parameters we write must read back the same (RFC 2231 continuations and charsets included).
    let written = parameters.encoded()
    let reread = MIMEParameters.parse(Array(written.utf8)[...])
    // Names are RFC 2231 attribute-chars (no `*`, which the tolerant reader keeps in broken names);
    // values hold no `=?`, since the reader decodes RFC 2047 words in quoted values as mailers write them.
    if parameters.allSatisfy({
        !$0.name.isEmpty && $0.name.utf8.allSatisfy(HeaderLexer.isAttributeChar) && isWritable($0.value)
            && !$0.value.contains("=?")
    }) {
        fuzzCheck(reread == parameters, "\(parameters.parameters) written as \(written) reads \(reread.parameters)".debugDescription)
    }
    _ = ContentType.parse(bytes[...])?.encoded
    _ = ContentDisposition.parse(bytes[...])?.encoded
    // Encoding text and decoding it again gives the text back.
    if let text = String(validating: bytes, as: UTF8.self), !text.contains("=?"), isWritable(text) {
        for encoding in [EncodedWord.Encoding.base64, .quoted, .automatic] {
            let encoded = EncodedWord.encode(text, encoding: encoding)
            let decoded = EncodedWord.decode(encoded)
            fuzzCheck(decoded == text, "\(text.debugDescription) encoded as \(encoded) decodes to \(decoded.debugDescription)")
        }
        let phrase = EncodedWord.encodePhrase(text)
        _ = EncodedWord.decode(phrase)
    }
    return 0
}

/// Text a header can carry: no control characters.
private func isWritable(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
}
