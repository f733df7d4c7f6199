import Foundation

/// Microsoft's Autodiscover in its plain-old-XML form (Outlook's `POST /autodiscover/autodiscover.xml`,
/// [MS-OXDSCLI]): the request names an address, the response lists IMAP and SMTP settings.
public enum Autodiscover {
    /// The response schema this answers in, the one Outlook asks for with IMAP/SMTP accounts.
    public static let outlookResponseSchema =
        "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

    /// The address in the request's `<EMailAddress>` element; nil when there is none or it is not an
    /// address.
    ///
    /// The request is small and flat, so a search for the one element suffices (no XML parser in correo's dependencies;
    /// entities are not expected in an address and refuse it).
    public static func emailAddress(inRequest body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let open = text.range(of: "<EMailAddress>"),
            let close = text.range(of: "</EMailAddress>", range: open.upperBound..<text.endIndex)
        else { return nil }
        let address = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !address.contains(where: { "<>&\"' \t\r\n".contains($0) })
        else { return nil }
        return address
    }

    /// The response for `address`: one `<Protocol>` per listener of `settings`, the address as login.
    public static func response(address: String, settings: MailClientSettings) -> String {
        var lines = [
            #"<?xml version="1.0" encoding="utf-8"?>"#,
            #"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">"#,
            #"  <Response xmlns="\#(outlookResponseSchema)">"#,
            "    <Account>",
            "      <AccountType>email</AccountType>",
            "      <Action>settings</Action>",
        ]
        for server in settings.servers {
            lines += [
                "      <Protocol>",
                "        <Type>\(server.kind == .imap ? "IMAP" : "SMTP")</Type>",
                "        <Server>\(markupEscaped(settings.hostname))</Server>",
                "        <Port>\(server.port)</Port>",
                "        <DomainRequired>off</DomainRequired>",
                "        <LoginName>\(markupEscaped(address))</LoginName>",
                "        <SPA>off</SPA>",
                // SSL on: TLS from the first octet; Encryption TLS: STARTTLS (Outlook 2010 and later).
                server.implicitTLS ? "        <SSL>on</SSL>" : "        <Encryption>TLS</Encryption>",
                "        <AuthRequired>on</AuthRequired>",
                "      </Protocol>",
            ]
        }
        lines += ["    </Account>", "  </Response>", "</Autodiscover>", ""]
        return lines.joined(separator: "\n")
    }
}
