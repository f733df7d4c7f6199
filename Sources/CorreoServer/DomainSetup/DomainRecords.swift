import DNS
import MailAuth

/// Every record a domain needs so that correo's mail is accepted and its clients find it: what
/// `correo dns DOMAIN` prints and `correo dns DOMAIN --check` asks the DNS for.
public struct DomainRecords: Sendable {
    /// The mail domain.
    public var domain: String
    /// The server's name: MX target, MTA-STS `mx`, SRV targets, the name PTR records must give.
    public var hostname: String
    /// The server's public addresses (`--ip`): A/AAAA of the hostname, SPF `ip4:`/`ip6:`; empty means
    /// SPF says `mx` and the addresses are whatever the hostname has.
    public var addresses: [String]
    /// The ports clients are told about.
    public var ports: CorreoConfiguration.Ports
    /// The published MTA-STS policy, whose id the `_mta-sts` record carries.
    public var mtaSTS: PublishedMTASTSPolicy
    /// The DKIM keys of the domain (STORAGE/dkim/DOMAIN/), as `DKIMKeyring` reads them.
    public var dkim: [DKIMSigner]

    /// The records for a domain.
    public init(
        domain: String,
        hostname: String,
        addresses: [String],
        ports: CorreoConfiguration.Ports,
        mtaSTS: PublishedMTASTSPolicy,
        dkim: [DKIMSigner]
    ) {
        self.domain = domain.lowercased()
        self.hostname = hostname.lowercased()
        // In the resolver's text form, so that a --check compares like with like.
        self.addresses = addresses.map { IPAddress($0).map { "\($0)" } ?? $0 }
        self.ports = ports
        self.mtaSTS = mtaSTS
        self.dkim = dkim
    }

    /// The records in the order an operator adds them: addresses and MX first, then sender
    /// authentication, MTA-STS and TLS-RPT, then what clients look up.
    public var records: [DomainRecord] {
        routingRecords + authenticationRecords + clientRecords
    }

    /// The server's addresses and the domain's MX.
    private var routingRecords: [DomainRecord] {
        let domain = domain + "."
        let host = hostname + "."
        var records: [DomainRecord] = []
        for address in addresses {
            let type = address.contains(":") ? "AAAA" : "A"
            records.append(
                DomainRecord(
                    purpose: "the mail server's address",
                    name: host,
                    type: type,
                    value: address,
                    expectation: .addresses(addresses)
                )
            )
        }
        records.append(
            DomainRecord(
                purpose: "MX: mail for \(self.domain) goes to \(hostname)",
                name: domain,
                type: "MX",
                value: "10 \(host)",
                expectation: .mx(exchange: hostname)
            )
        )
        return records
    }

    /// SPF, DKIM and DMARC (who may send for the domain), MTA-STS and TLS-RPT (how mail reaches it).
    private var authenticationRecords: [DomainRecord] {
        let domain = domain + "."
        let host = hostname + "."
        var records: [DomainRecord] = []
        let spfTerms = addresses.isEmpty ? ["mx"] : addresses.map { ($0.contains(":") ? "ip6:" : "ip4:") + $0 }
        records.append(
            DomainRecord(
                purpose: "SPF: only this server sends for \(self.domain)",
                name: domain,
                type: "TXT",
                value: (["v=spf1"] + spfTerms + ["-all"]).joined(separator: " "),
                expectation: .txt(prefix: "v=spf1", spf: true)
            )
        )
        for signer in dkim {
            records.append(
                DomainRecord(
                    purpose: "DKIM \(signer.selector) (\(signer.key.algorithm == .ed25519SHA256 ? "Ed25519" : "RSA"))",
                    name: "\(signer.selector)._domainkey.\(domain)",
                    type: "TXT",
                    value: signer.key.keyRecord,
                    expectation: .txt(prefix: "v=DKIM1")
                )
            )
        }
        records.append(
            DomainRecord(
                purpose: "DMARC: quarantine what fails, aggregate reports to postmaster",
                name: "_dmarc.\(domain)",
                type: "TXT",
                value: "v=DMARC1; p=quarantine; rua=mailto:postmaster@\(self.domain)",
                expectation: .txtTags(prefix: "v=DMARC1", tags: ["p": ["quarantine", "reject"]])
            )
        )
        records.append(
            DomainRecord(
                purpose: "MTA-STS: the policy's id (it changes with the policy: mode \(mtaSTS.mode.rawValue))",
                name: "_mta-sts.\(domain)",
                type: "TXT",
                value: mtaSTS.record(hostname: hostname),
                expectation: .txt(prefix: "v=STSv1")
            )
        )
        records.append(
            DomainRecord(
                purpose: "MTA-STS: the policy host, served by correo serve --https-port 443",
                name: "mta-sts.\(domain)",
                type: "CNAME",
                value: host,
                expectation: .addresses(addresses)
            )
        )
        records.append(
            DomainRecord(
                purpose: "TLS-RPT: where senders report TLS failures",
                name: "_smtp._tls.\(domain)",
                type: "TXT",
                value: "v=TLSRPTv1; rua=mailto:postmaster@\(self.domain)",
                expectation: .txtTags(prefix: "v=TLSRPTv1", tags: ["rua": []])
            )
        )
        return records
    }

    /// What mail clients look up to find the servers: SRV records, autoconfig and autodiscover.
    private var clientRecords: [DomainRecord] {
        let domain = domain + "."
        let host = hostname + "."
        var records: [DomainRecord] = []
        // RFC 6186 and RFC 8314 §5.1: implicit TLS preferred (priority 0), STARTTLS next, POP3 not offered.
        let services: [(String, Int, Int)] = [
            ("_submissions", 0, ports.smtps), ("_submission", 10, ports.submission), ("_imaps", 0, ports.imaps),
            ("_imap", 10, ports.imap), ("_pop3s", 0, 0), ("_pop3", 0, 0),
        ]
        for (service, priority, port) in services {
            let value = port == 0 ? "0 0 0 ." : "\(priority) 1 \(port) \(host)"
            records.append(
                DomainRecord(
                    purpose: "SRV (RFC 6186/8314): \(service.dropFirst())\(port == 0 ? " not offered" : "")",
                    name: "\(service)._tcp.\(domain)",
                    type: "SRV",
                    value: value,
                    expectation: .srv(port: port, target: port == 0 ? "." : hostname)
                )
            )
        }
        records.append(
            DomainRecord(
                purpose: "Thunderbird autoconfig, served by correo serve --https-port 443",
                name: "autoconfig.\(domain)",
                type: "CNAME",
                value: host,
                expectation: .addresses(addresses)
            )
        )
        records.append(
            DomainRecord(
                purpose: "Outlook autodiscover, served by correo serve --https-port 443",
                name: "autodiscover.\(domain)",
                type: "CNAME",
                value: host,
                expectation: .addresses(addresses)
            )
        )
        records.append(
            DomainRecord(
                purpose: "Outlook autodiscover by SRV",
                name: "_autodiscover._tcp.\(domain)",
                type: "SRV",
                value: "0 1 443 \(host)",
                expectation: .srv(port: 443, target: hostname)
            )
        )
        return records
    }

    /// The advice about what is not in the domain's zone: the reverse (PTR) of each address, set by
    /// whoever owns the address block, must name the hostname, which is also the HELO name correo
    /// gives (`--hostname`), and the hostname's A/AAAA must lead back to the address.
    public var reverseAdvice: [String] {
        var lines = [
            "PTR: the reverse of each address of \(hostname) must be \(hostname) (set by your hosting provider, not in this zone);",
            "HELO: correo greets as --hostname \(hostname); receivers compare it with the PTR and the A/AAAA records.",
        ]
        for address in addresses {
            lines.append("\(Self.reverseName(address) ?? address) IN PTR \(hostname).")
        }
        return lines
    }

    /// The `in-addr.arpa.`/`ip6.arpa.` name of an address.
    static func reverseName(_ address: String) -> String? {
        IPAddress(address).map { "\($0.reverseName)." }
    }
}
