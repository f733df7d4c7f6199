/// Checks of a bare address (`local@domain`) as SMTP and the mail merge need them.
public enum EmailAddress {
    /// Splits `local@domain` at its last `@`; nil when there is no `@`.
    ///
    /// The one place correo splits an address, so that every target splits alike. Either side may be
    /// empty; the local part keeps any quotes.
    ///
    /// The `@` is looked for among the UTF-8 octets, not Characters: a combining mark after it
    /// (`t@\u{30C}`) makes one grapheme of the two, which a Character search would not find. An `@` is
    /// one octet and never part of another scalar's, so the index found is a scalar boundary, as a
    /// search of the scalars would give, for less: through the scalar view a split cost 1,400
    /// instructions, and delivery splits each recipient several times (callgrind).
    public static func split(_ address: String) -> (localPart: String, domain: String)? {
        let utf8 = address.utf8
        guard let at = utf8.lastIndex(of: UInt8(ascii: "@")) else { return nil }
        let scalars = address.unicodeScalars
        return (String(scalars[..<at]), String(scalars[utf8.index(after: at)...]))
    }

    /// True when `address` is a valid RFC 5321 4.1.2 Mailbox (what MAIL FROM / RCPT TO accept):
    /// `Local-part "@" ( Domain / address-literal )`, local part a dot-string or quoted-string,
    /// domain labels of letters, digits and hyphens (UTF-8 allowed per RFC 6531), and the
    /// length limits of RFC 5321 4.5.3.1.
    ///
    /// No display name, comments or whitespace.
    public static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= MailCoreDefaults.maxAddressLength, let at = bytes.lastIndex(of: ASCII.at) else {
            return false
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        return isValidLocalPart(local) && isValidDomain(domain)
    }

    /// RFC 5321 4.1.2: Local-part = Dot-string / Quoted-string, at most 64 octets.
    static func isValidLocalPart(_ local: ArraySlice<UInt8>) -> Bool {
        guard !local.isEmpty, local.count <= MailCoreDefaults.maxLocalPartLength else { return false }
        if local.first == ASCII.quote {
            guard local.count >= 2, local.last == ASCII.quote else { return false }
            var index = local.startIndex + 1
            let end = local.endIndex - 1
            while index < end {
                let byte = local[index]
                if byte == ASCII.backslash {
                    // quoted-pairSMTP = %d92 %d32-126
                    guard index + 1 < end, local[index + 1] >= 32, local[index + 1] <= 126 else { return false }
                    index += 2
                    continue
                }
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531)
                guard byte >= 32, byte != ASCII.quote, byte != 127 else { return false }
                index += 1
            }
            return true
        }
        return Mailbox.isDotAtom(String(decoding: local, as: UTF8.self))
    }

    /// RFC 5321 4.1.2: Domain = sub-domain *("." sub-domain), or an address-literal in brackets.
    static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        guard !domain.isEmpty, domain.count <= MailCoreDefaults.maxDomainLength else { return false }
        if domain.first == ASCII.openBracket {
            guard domain.last == ASCII.closeBracket, domain.count > 2 else { return false }
            return domain.dropFirst().dropLast().allSatisfy {
                $0 > 32 && $0 < 127 && $0 != ASCII.openBracket
                    && $0 != ASCII.closeBracket && $0 != ASCII.backslash
            }
        }
        for label in domain.split(separator: ASCII.dot, omittingEmptySubsequences: false) {
            // sub-domain = Let-dig [Ldh-str]; a label is at most 63 octets (RFC 1035 2.3.4).
            guard !label.isEmpty, label.count <= 63, label.first != ASCII.hyphen, label.last != ASCII.hyphen,
                label.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == ASCII.hyphen || $0 >= 0x80 })
            else { return false }
        }
        return true
    }
}
