/// One DNS record a domain served by correo needs, as `correo dns` prints it and `--check` verifies it.
public struct DomainRecord: Sendable, Equatable {
    /// What the record is for, printed as the comment above it: "MX", "SPF", "DKIM correo-ed" and so on.
    public var purpose: String
    /// The owner name, fully qualified, with its final dot.
    public var name: String
    /// The type: A, AAAA, MX, TXT, CNAME, SRV.
    public var type: String
    /// The data in zone-file form (a TXT's text unquoted: the printer quotes it).
    public var value: String
    /// What `--check` accepts as published.
    public var expectation: Expectation

    /// What the DNS must answer for the record to count as published.
    public enum Expectation: Sendable, Equatable {
        /// An MX record whose exchange is this host.
        case mx(exchange: String)
        /// One TXT record beginning with `prefix` (the version tag), equal to the value up to white
        /// space; `spf`: another record still passes when every server address passes SPF with it.
        case txt(prefix: String, spf: Bool = false)
        /// One TXT record beginning with `prefix` that holds each of these tags (`p` may be any of the values).
        case txtTags(prefix: String, tags: [String: [String]])
        /// An SRV record with this port and target (the target "." says "not offered", RFC 6186 §4).
        case srv(port: Int, target: String)
        /// The name has addresses, and they are these (from `--ip`), or else the hostname's.
        case addresses([String])
    }

    /// A record.
    public init(purpose: String, name: String, type: String, value: String, expectation: Expectation) {
        self.purpose = purpose
        self.name = name
        self.type = type
        self.value = value
        self.expectation = expectation
    }
}
