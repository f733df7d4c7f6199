// libFuzzer harness: the parsers of what senders publish and sign — DKIM-Signature tag lists
// (RFC 6376 §3.5), SPF records and their macros (RFC 7208 §4.6, §7), DMARC records (RFC 7489 §6.3) —
// on any bytes, with the invariants their users rely on.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMailAuthRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let tags = try? TagList(parsing: bytes) {
        let names = tags.tags.map(\.name)
        fuzzCheck(Set(names).count == names.count, "a tag twice in a parsed tag list")
        fuzzCheck(names.allSatisfy { !$0.isEmpty && !$0.contains(";") && !$0.contains("=") }, "a bad tag name")
    }
    if let signature = try? DKIMSignature(parsing: bytes, now: 1_700_000_000) {
        fuzzCheck(signature.signedHeaders.contains { $0.lowercased() == "from" }, "a signature that does not sign From")
        fuzzCheck(!signature.signature.isEmpty && !signature.bodyHash.isEmpty, "a signature without b= or bh=")
        fuzzCheck(signature.bodyLength.map { $0 >= 0 } ?? true, "a negative l=")
        let at = signature.identity.lastIndex(of: "@")
        fuzzCheck(at != nil, "an identity without @")
        if let at {
            var domain = signature.identity[signature.identity.index(after: at)...].lowercased()
            if domain.hasSuffix(".") { domain.removeLast() }
            fuzzCheck(domain == signature.domain || domain.hasSuffix("." + signature.domain), "i= outside d=")
        }
    }
    // Every canonicalisation of any field and body ends as it must.
    let relaxed = DKIMCanonicalization.relaxed.header(bytes)
    fuzzCheck(relaxed.suffix(2) == [13, 10], "a relaxed header field without its CRLF")
    let body = DKIMCanonicalization.relaxed.body(bytes)
    fuzzCheck(body.isEmpty || body.suffix(2) == [13, 10], "a relaxed body not ending in CRLF")
    fuzzCheck(!body.suffix(4).elementsEqual([13, 10, 13, 10]), "a relaxed body ending in an empty line")
    fuzzCheck(DKIMCanonicalization.relaxed.body(body) == body, "relaxed body canonicalisation is not idempotent")

    var spfText = Array("v=spf1 ".utf8) + bytes
    if let record = try? SPFRecord(parsing: spfText) {
        fuzzCheck(record.directives.count <= spfText.count, "more directives than octets")
    }
    spfText = bytes
    if SPFRecord.isSPF(spfText) { _ = try? SPFRecord(parsing: spfText) }
    let macro = SPFMacro(
        sender: "strong-bad@email.example.com", domain: "email.example.com",
        client: .v6(IPv6Address("2001:db8::cb01")!), helo: "mx.example.org")
    // Text without "%" is its own expansion ("%%{r}" rightly gives "%{r}", so no check on "%{" left).
    let text = String(decoding: bytes, as: UTF8.self)
    if let expanded = macro.expand(text, explanation: true), !text.contains("%") {
        fuzzCheck(expanded == text, "text without macros changed by expansion")
    }
    _ = try? DMARCRecord(parsing: bytes)
    return 0
}
