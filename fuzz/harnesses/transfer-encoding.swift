// libFuzzer harness: base64 and quoted-printable decoding of any bytes, and encode → decode round
// trips that must give the input back, one-shot and streamed in two chunks.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTransferEncoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (first, second) = splitInput(bytes)
    let whole = first + second

    // Decoding never fails, and decoding in two chunks is decoding at once.
    let base64 = Base64.decode(whole)
    var base64Decoder = Base64Decoder()
    let base64Chunked = base64Decoder.decode(first) + base64Decoder.decode(second) + base64Decoder.finish()
    fuzzCheck(base64Chunked == base64, "chunked base64 decoding differs")
    let qp = QuotedPrintable.decode(whole)
    var qpDecoder = QuotedPrintableDecoder()
    let qpChunked = qpDecoder.decode(first) + qpDecoder.decode(second) + qpDecoder.finish()
    fuzzCheck(qpChunked == qp, "chunked quoted-printable decoding differs")

    // Base64 round trips, with and without line breaks.
    for lineLength in [MailCoreDefaults.base64LineLength, 0, 4] {
        let encoded = Base64.encode(whole, lineLength: lineLength)
        fuzzCheck(Base64.decode(encoded) == whole, "base64 round trip (line length \(lineLength))")
        var encoder = Base64Encoder(lineLength: lineLength)
        let chunked = encoder.encode(first) + encoder.encode(second) + encoder.finish()
        fuzzCheck(chunked == encoded, "chunked base64 encoding differs (line length \(lineLength))")
        if lineLength > 0 {
            for line in encoded.split(separator: 0x0A) {
                fuzzCheck(line.count <= lineLength + 1, "base64 line longer than \(lineLength)")
            }
        }
    }

    // Quoted-printable, binary mode: every byte survives.
    let binary = QuotedPrintable.encode(whole, binary: true)
    fuzzCheck(QuotedPrintable.decode(binary) == whole, "binary quoted-printable round trip")
    var binaryEncoder = QuotedPrintableEncoder(binary: true)
    let binaryChunked = binaryEncoder.encode(first) + binaryEncoder.encode(second) + binaryEncoder.finish()
    fuzzCheck(binaryChunked == binary, "chunked binary quoted-printable encoding differs")

    // Text mode: line breaks come back as CRLF, everything else unchanged.
    let text = QuotedPrintable.encode(whole)
    fuzzCheck(
        QuotedPrintable.decode(text) == LineEnds.normalizedToCRLF(whole),
        "text quoted-printable round trip: \(whole) → \(text)")
    var textEncoder = QuotedPrintableEncoder()
    let textChunked = textEncoder.encode(first) + textEncoder.encode(second) + textEncoder.finish()
    fuzzCheck(textChunked == text, "chunked text quoted-printable encoding differs")
    for encoded in [binary, text] {
        for line in encoded.split(separator: 0x0A) {
            // RFC 2045 6.7 rule 5: at most 76 characters, CR excluded.
            fuzzCheck(line.count <= MailCoreDefaults.quotedPrintableLineLength + 1, "quoted-printable line too long")
            fuzzCheck(line.allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 == 0x0D || $0 == 0x09 }, "unencoded byte")
        }
    }
    return 0
}
