import ArgumentParser
import CorreoServer
import Foundation
import MailAuth

/// `correo dns DOMAIN`: every DNS record a domain served by correo needs, ready to paste into its zone;
/// with `--check`, whether each is published.
struct DnsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract:
            "Print the DNS records a domain needs (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, autoconfig), or check them.",
        discussion: """
            Give the same --hostname, ports and MTA-STS flags as to correo serve: the SRV records carry the \
            ports, and the _mta-sts id follows from the policy. DKIM records come from the keys in \
            STORAGE/dkim/DOMAIN/ (correo dkim keygen DOMAIN). With --check, each record is looked up \
            (through --dns-server, or /etc/resolv.conf's servers) and reported ok, missing or wrong; the \
            exit status is 1 when any is missing or wrong.
            Example: correo dns example.org --hostname mail.example.org --ip 203.0.113.5 --smtp-port 25 \
            --submission-port 587 --smtps-port 465 --imap-port 143 --imaps-port 993
            """
    )

    @OptionGroup var storage: StorageOption

    @Argument(help: "The mail domain.")
    var domain: String

    @Option(help: "The mail server's name (MX target, SRV target, PTR name). [CORREO_HOSTNAME, default the domain]")
    var hostname: String?

    @Option(
        help: ArgumentHelp(
            "A public address of the server (repeatable): A/AAAA records and SPF ip4:/ip6: terms instead of mx.",
            valueName: "ADDRESS"
        )
    )
    var ip: [String] = []

    @OptionGroup var ports: PortOptions
    @OptionGroup var mtaSTS: MTASTSOptions

    @Flag(help: "Look the records up and say, record by record, whether each is published as printed.")
    var check = false

    @Option(help: "With --check: the nameserver to ask, IP[:PORT]. [default the servers of /etc/resolv.conf]")
    var dnsServer: String?

    func records() throws -> DomainRecords {
        let domain = try aLabel(domain.lowercased(), flag: "domain")
        let hostname = try aLabel((hostname ?? environment("HOSTNAME") ?? domain).lowercased(), flag: "--hostname")
        var configuration = CorreoConfiguration(domains: [domain], hostname: hostname, ports: try ports.resolved())
        configuration.publishing.mtaSTS = try mtaSTS.resolved()
        try validated(configuration)
        for address in ip where !(address.contains(":") || address.split(separator: ".").count == 4) {
            throw ValidationError("--ip \(address) is not an IPv4 or IPv6 address")
        }
        let keyring = DKIMKeyring(folder: storage.url.appendingPathComponent("dkim", isDirectory: true))
        return DomainRecords(
            domain: domain,
            hostname: hostname,
            addresses: ip,
            ports: configuration.ports,
            mtaSTS: configuration.publishing.mtaSTS,
            dkim: keyring.signers(for: domain)
        )
    }

    func run() async throws {
        let records = try records()
        if check {
            let results = try await DomainCheck.check(records, dnsServer: dnsServer)
            for result in results {
                print(
                    "\(result.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(result.record.type) \(result.record.name) — \(result.detail)"
                )
            }
            let failed = results.filter { $0.status != .ok }.count
            print(
                failed == 0 ? "all \(results.count) records ok" : "\(failed) of \(results.count) records need attention"
            )
            if failed > 0 { throw ExitCode(1) }
            return
        }
        print("; correo dns \(records.domain): the records to publish (mail server \(records.hostname))")
        if records.dkim.isEmpty {
            print(";\n; DKIM: no keys yet; make them with: correo dkim keygen \(records.domain)")
        }
        for record in records.records {
            print(";\n; \(record.purpose)")
            print(Self.zoneLine(record))
        }
        print(";")
        for line in records.reverseAdvice { print("; \(line)") }
    }

    /// The record as a zone-file line; DKIM keys exactly as `correo dkim records` prints them.
    static func zoneLine(_ record: DomainRecord) -> String {
        let dkimSuffix = "._domainkey."
        if record.type == "TXT", let range = record.name.range(of: dkimSuffix) {
            let selector = String(record.name[..<range.lowerBound])
            let domain = String(record.name[range.upperBound...].dropLast())
            return DKIMCommand.zoneLine(domain: domain, selector: selector, record: record.value)
        }
        let value = record.type == "TXT" ? "\"\(record.value)\"" : record.value
        return "\(record.name) IN \(record.type) \(value)"
    }
}
