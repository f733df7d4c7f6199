// libFuzzer harness: RFC 5322 address lists and RFC 5321 addr-spec validation.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddress(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let list = Address.parseList(bytes)
    let raw = Address.parseList(bytes, decodingEncodedWords: false)
    fuzzCheck(list.count == raw.count, "decoding words changed the number of addresses")
    fuzzCheck(
        list.flatMap(\.mailboxes).count <= MailCoreDefaults.maxAddressesPerField,
        "more mailboxes than maxAddressesPerField")
    for address in list {
        _ = address.description
        // What we write must read back as the same addresses.
        let encoded = address.encoded
        let reparsed = Address.parseList(encoded)
        if address.mailboxes.allSatisfy(isWritable) {
            fuzzCheck(reparsed == [address], "\(address) encoded as \(encoded) reads back as \(reparsed)")
        }
        for mailbox in address.mailboxes {
            _ = mailbox.address
            _ = EmailAddress.isValid(mailbox.address)
        }
    }
    // The same bytes as a bare addr-spec (what MAIL FROM / RCPT TO see).
    if let text = String(validating: bytes, as: UTF8.self) {
        if EmailAddress.isValid(text) {
            let mailbox = Mailbox(text)
            fuzzCheck(!mailbox.domain.isEmpty, "valid address \(text) without a domain")
            fuzzCheck(text.utf8.count <= MailCoreDefaults.maxAddressLength, "valid address too long")
        }
    }
    return 0
}

/// Mailboxes the writer can represent: a domain, and names and local parts without control characters
/// (those cannot survive a header and are not expected to).
private func isWritable(_ mailbox: Mailbox) -> Bool {
    func clean(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
    return !mailbox.domain.isEmpty && !mailbox.localPart.isEmpty && clean(mailbox.localPart)
        && clean(mailbox.domain) && clean(mailbox.displayName ?? "")
        && !(mailbox.displayName ?? "").contains("=?")
}
