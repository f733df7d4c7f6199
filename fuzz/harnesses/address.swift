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
        var writable = address.mailboxes.allSatisfy(isWritable)
        if case .group(let name, _) = address { writable = writable && isPlainPhrase(name) }
        if writable {
            // The writer never emits an obsolete source route (RFC 5322 4.4: parse, don't generate).
            fuzzCheck(
                reparsed.map(withoutRoutes) == [withoutRoutes(address)],
                "\(address) encoded as \(encoded) reads back as \(reparsed)")
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
        && isWellFormedDomain(mailbox.domain) && (mailbox.displayName.map(isPlainPhrase) ?? true)
}

/// A phrase that survives writing and reading: printable, no `=?` (a quoted `=?…?=` reads back
/// decoded), and its whitespace already as the reader leaves it (RFC 5322 3.2.2: runs of folding
/// whitespace in a phrase mean one space, and none at either end).
private func isPlainPhrase(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) || $0 == " " }
        && !text.contains("=?") && !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  ")
}

/// A dot-atom or a whole domain literal (RFC 5322 3.4.1). The tolerant parser also keeps broken
/// domains (`example.org[` from an unterminated literal) so nothing is lost, but those cannot be
/// expected to read back the same once written.
private func isWellFormedDomain(_ domain: String) -> Bool {
    let bytes = Array(domain.utf8)
    if bytes.first == 0x5B {
        return bytes.count >= 2 && bytes.last == 0x5D
            && !bytes.dropFirst().dropLast().contains { $0 == 0x5B || $0 == 0x5D || $0 == 0x5C || $0 < 0x21 }
    }
    return bytes.split(separator: 0x2E, omittingEmptySubsequences: false).allSatisfy { label in
        !label.isEmpty && label.allSatisfy { AddressSyntax.isAtext($0) || $0 >= 0x80 }
    }
}

/// The address with every mailbox's obsolete source route dropped.
private func withoutRoutes(_ address: Address) -> Address {
    func strip(_ mailbox: Mailbox) -> Mailbox {
        var copy = mailbox
        copy.route = nil
        return copy
    }
    switch address {
    case .mailbox(let mailbox): return .mailbox(strip(mailbox))
    case .group(let name, let members): return .group(name: name, members: members.map(strip))
    }
}
