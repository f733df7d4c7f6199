/// Checks that a list entry is a mailbox address the envelope can carry (RFC 5321 §4.1.2 Mailbox):
/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
///
/// Interim: MailCore's address validation replaces this once it lands.
public enum RecipientAddress {
    /// Why an address is refused, in words for the report.
    public static func problem(with address: String) -> String? {
        guard !address.isEmpty else { return "the address is empty" }
        guard address.utf8.count <= MailMergeDefaults.maximumAddressLength else { return "the address is too long" }
        if address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "the address contains spaces or control characters"
        }
        guard let at = address.lastIndex(of: "@") else { return "the address has no @" }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty else { return "the address has nothing before the @" }
        guard !domain.isEmpty else { return "the address has no domain after the @" }
        guard isLocalPart(local) else { return "the part before the @ is not valid" }
        guard isDomain(domain) else { return "the domain \"\(domain)\" is not valid" }
        return nil
    }

    /// Whether `address` is usable.
    public static func isValid(_ address: String) -> Bool { problem(with: address) == nil }

    /// `Local-part = Dot-string / Quoted-string` (RFC 5321 §4.1.2); UTF-8 allowed per RFC 6531.
    static func isLocalPart(_ local: Substring) -> Bool {
        if local.hasPrefix("\"") && local.hasSuffix("\"") && local.count >= 2 { return true }
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy { $0.value >= 0x80 || isAtext(UInt8($0.value)) }
        }
    }

    /// `atext` (RFC 5322 §3.2.3).
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    /// `Domain = sub-domain *("." sub-domain)`, `sub-domain = Let-dig [Ldh-str]` (RFC 5321 §4.1.2), with
    /// U-labels allowed (RFC 6531), or an address literal in brackets.
    static func isDomain(_ domain: Substring) -> Bool {
        if domain.hasPrefix("[") && domain.hasSuffix("]") { return domain.count > 2 }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy {
                $0.value >= 0x80 || $0 == "-" || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                    || ("0"..."9").contains($0)
            }
        }
    }
}
