import DNS
import Foundation
import MailCore

/// SPF macro expansion (RFC 7208 §7): `%{s}`, `%{l}`, `%{o}`, `%{d}`, `%{i}`, `%{p}`, `%{v}`, `%{h}`
/// (and `%{c}`, `%{r}`, `%{t}` of explanations), with digit and `r` transformers and delimiters, and
/// the `%%`, `%_`, `%-` escapes.
public struct SPFMacro: Sendable {
    /// The sender (`s`), whose local part and domain are `l` and `o`.
    public var sender: String
    /// The current domain (`d`).
    public var domain: String
    /// The client address (`i`, `c`, `v`).
    public var client: IPAddress
    /// The HELO/EHLO name (`h`).
    public var helo: String
    /// The validated domain name of the client (`p`).
    public var validatedName: String
    /// The receiving host's name (`r`).
    public var receiver: String
    /// The current time (`t`), seconds since 1970.
    public var now: Int

    /// Makes the macro context for one check_host() call.
    public init(
        sender: String,
        domain: String,
        client: IPAddress,
        helo: String,
        validatedName: String = "unknown",
        receiver: String = "unknown",
        now: Int = 0
    ) {
        self.sender = sender
        self.domain = domain
        self.client = client
        self.helo = helo
        self.validatedName = validatedName
        self.receiver = receiver
        self.now = now
    }

    /// Whether `text` has only well-formed macros.
    public static func isValid(_ text: String) -> Bool {
        // Any client will do: validity does not depend on it. The literal always parses.
        guard let loopback = IPv4Address(octets: [127, 0, 0, 1]) else { return false }
        let sample = SPFMacro(sender: "a@b", domain: "b", client: .v4(loopback), helo: "b")
        return sample.expand(text, explanation: true) != nil
    }

    /// Expands the macros in `text`; nil when a macro is malformed (a `permerror`).
    ///
    /// The `c`, `r` and `t` letters are allowed only in explanations (`explanation`).
    public func expand(_ text: String, explanation: Bool = false) -> String? {
        var output = ""
        var scalars = Substring(text)
        while let first = scalars.first {
            scalars = scalars.dropFirst()
            guard first == "%" else {
                output.append(first)
                continue
            }
            guard let next = scalars.first else { return nil }
            scalars = scalars.dropFirst()
            switch next {
            case "%": output += "%"
            case "_": output += " "
            case "-": output += "%20"
            case "{":
                guard let close = scalars.firstIndex(of: "}") else { return nil }
                let body = scalars[..<close]
                scalars = scalars[scalars.index(after: close)...]
                guard let expanded = expandMacro(body, explanation: explanation) else { return nil }
                output += expanded
            default: return nil
            }
        }
        return output
    }

    private func expandMacro(_ body: Substring, explanation: Bool) -> String? {
        guard let letter = body.first else { return nil }
        var rest = body.dropFirst()
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(digits.count)
        var reverse = false
        if let r = rest.first, r == "r" || r == "R" {
            reverse = true
            rest = rest.dropFirst()
        }
        guard rest.allSatisfy({ ".-+,/_=".contains($0) }) else { return nil }
        let delimiters = rest.isEmpty ? "." : String(rest)
        var value: String
        switch letter.lowercased() {
        case "s": value = sender
        case "l": value = EmailAddressParts(sender).localPart
        case "o": value = EmailAddressParts(sender).domain
        case "d": value = domain
        case "i": value = Self.dotted(client)
        case "p": value = validatedName
        case "v": if case .v4 = client { value = "in-addr" } else { value = "ip6" }
        case "h": value = helo
        case "c" where explanation: value = client.description
        case "r" where explanation: value = receiver
        case "t" where explanation: value = String(now)
        default: return nil
        }
        var parts = value.split(whereSeparator: { delimiters.contains($0) }).map(String.init)
        if value.isEmpty { parts = [""] }
        if reverse { parts.reverse() }
        if !digits.isEmpty {
            guard let count = Int(digits), count > 0 else { return nil }
            parts = Array(parts.suffix(count))
        }
        value = parts.joined(separator: ".")
        if letter.isUppercase {
            // §7.3: upper-case macro letters are URL-escaped (RFC 3986 unreserved characters stay).
            let unreserved = CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
            )
            value = value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
        }
        return value
    }

    /// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6 (§7.3).
    static func dotted(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v4): return v4.description
        case .v6(let v6):
            let hex = Array("0123456789abcdef")
            return v6.octets.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }.map(String.init).joined(
                separator: "."
            )
        }
    }
}

/// The local part and domain of a sender, from MailCore's one split (§4.3: "postmaster" when the
/// local part is empty or there is none).
struct EmailAddressParts {
    var localPart: String
    var domain: String

    init(_ address: String) {
        let parts = EmailAddress.split(address)
        localPart = parts?.localPart ?? ""
        domain = parts?.domain ?? address
        if localPart.isEmpty { localPart = "postmaster" }
    }
}
