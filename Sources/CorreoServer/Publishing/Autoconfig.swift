/// Thunderbird's autoconfig document (config-v1.1.xml, the format of Mozilla's ISPDB and of
/// `https://autoconfig.DOMAIN/mail/config-v1.1.xml`): given only an address, a client finds the IMAP and
/// SMTP servers, ports, TLS and user name.
public enum Autoconfig {
    /// The document for `domain`: every listener of `settings`, the address itself as the user name
    /// (`%EMAILADDRESS%`: correo's logins are full addresses), passwords over TLS.
    public static func document(domain: String, settings: MailClientSettings) -> String {
        let domain = markupEscaped(domain)
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<clientConfig version="1.1">"#,
            #"  <emailProvider id="\#(domain)">"#,
            "    <domain>\(domain)</domain>",
            "    <displayName>\(domain)</displayName>",
            "    <displayShortName>\(domain)</displayShortName>",
        ]
        for server in settings.servers {
            let element = server.kind == .imap ? "incomingServer" : "outgoingServer"
            lines += [
                #"    <\#(element) type="\#(server.kind.rawValue)">"#,
                "      <hostname>\(markupEscaped(settings.hostname))</hostname>",
                "      <port>\(server.port)</port>",
                "      <socketType>\(server.implicitTLS ? "SSL" : "STARTTLS")</socketType>",
                "      <username>%EMAILADDRESS%</username>",
                "      <authentication>password-cleartext</authentication>",
                "    </\(element)>",
            ]
        }
        lines += ["  </emailProvider>", "</clientConfig>", ""]
        return lines.joined(separator: "\n")
    }
}
