import MailCore

/// Checks a list entry with MailCore's RFC 5321 mailbox grammar and says in words why one is refused.
public enum RecipientAddress {
    /// Why an address is refused, in words for the report; nil when MailCore accepts it.
    public static func problem(with address: String) -> String? {
        if EmailAddress.isValid(address) { return nil }
        guard !address.isEmpty else { return "the address is empty" }
        if address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        {
            return "the address contains spaces or control characters"
        }
        guard let (local, domain) = EmailAddress.split(address) else { return "the address has no @" }
        if local.isEmpty { return "the address has nothing before the @" }
        if domain.isEmpty { return "the address has no domain after the @" }
        return "the address is not a valid mailbox (RFC 5321)"
    }

    /// Whether `address` is usable.
    public static func isValid(_ address: String) -> Bool { EmailAddress.isValid(address) }
}
