import ArgumentParser
import CorreoServer
import Foundation

/// How mail leaves for other domains: `serve` and `smtpd` take these.
struct OutboundOptions: ParsableArguments {
    @Option(
        help:
            "Send all outbound mail through this host (HOST[:PORT], 587 by default; 465 is implicit TLS). [CORREO_RELAY_HOST]"
    )
    var relayHost: String?

    @Option(help: "AUTH user at the relay host. [CORREO_RELAY_USER]")
    var relayUser: String?

    @Option(help: "A file whose first line is the relay host's password. [CORREO_RELAY_PASSWORD_FILE]")
    var relayPasswordFile: String?

    @Option(
        help: "Trust only the certificates in this PEM file at the relay host (a private CA). [CORREO_RELAY_CAFILE]"
    )
    var relayCafile: String?

    @Option(help: "The port MX hosts are reached on. [CORREO_MX_PORT, default 25]")
    var mxPort: Int?

    @Option(
        help:
            "A nameserver (IP or IP:PORT) instead of /etc/resolv.conf's; repeatable. [CORREO_DNS_SERVER, comma-separated]"
    )
    var dnsServer: [String] = []

    @Option(help: "Seconds before the first retry of deferred mail. [CORREO_QUEUE_RETRY_MIN, default 300]")
    var queueRetryMin: Int?

    @Option(help: "Longest wait between retries, in seconds. [CORREO_QUEUE_RETRY_MAX, default 3600]")
    var queueRetryMax: Int?

    @Option(help: "Seconds after which undeliverable mail is bounced. [CORREO_QUEUE_LIFETIME, default 432000: 5 days]")
    var queueLifetime: Int?

    @Option(
        help:
            "Seconds of delay after which the sender is told once; 0: never. [CORREO_QUEUE_DELAY_WARNING, default 14400]"
    )
    var queueDelayWarning: Int?

    @Option(
        help: "TLS to MX hosts: none, opportunistic, required or verify. [CORREO_OUTBOUND_TLS, default opportunistic]"
    )
    var outboundTls: String?

    @Option(
        help:
            "The TLS policy for one destination, DOMAIN=POLICY; repeatable. [CORREO_OUTBOUND_TLS_FOR, comma-separated]"
    )
    var outboundTlsFor: [String] = []

    @Option(
        help:
            "Local mail made durable in the Maildirs before the 250 (direct), or in the queue and delivered just after (queue). [CORREO_LOCAL_DELIVERY, default direct]"
    )
    var localDelivery: String?

    @Option(
        help: "Honour recipient domains' MTA-STS policies (RFC 8461): on or off. [CORREO_OUTBOUND_MTA_STS, default on]"
    )
    var outboundMtaSts: String?

    @Option(
        help:
            "A PEM file of authorities trusted, besides the system's, for fetching recipient domains' MTA-STS policies over HTTPS. [CORREO_OUTBOUND_MTA_STS_CA_FILE]"
    )
    var outboundMtaStsCaFile: String?

    @Option(
        help:
            "Count outbound TLS sessions and send daily TLS-RPT reports (RFC 8460): on or off. [CORREO_TLS_RPT, default on]"
    )
    var tlsRpt: String?

    @Option(help: "The sender of TLS-RPT reports. [CORREO_TLS_RPT_FROM, default postmaster@HOSTNAME]")
    var tlsRptFrom: String?

    @Option(help: "The organization-name of TLS-RPT reports. [CORREO_TLS_RPT_ORG, default the host name]")
    var tlsRptOrg: String?

    /// Flags, then `CORREO_…` variables, then the defaults.
    func resolved() throws -> OutboundConfiguration {
        var outbound = OutboundConfiguration()
        outbound.relayHost = relayHost ?? environment("RELAY_HOST")
        outbound.relayUser = relayUser ?? environment("RELAY_USER")
        outbound.relayPasswordFile = relayPasswordFile ?? environment("RELAY_PASSWORD_FILE")
        outbound.relayCAFile = relayCafile ?? environment("RELAY_CAFILE")
        outbound.mxPort = try resolveNumber(mxPort, "MX_PORT", default: outbound.mxPort)
        outbound.dnsServers =
            dnsServer.isEmpty
            ? (environment("DNS_SERVER")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
            : dnsServer
        outbound.firstRetrySeconds = try resolveNumber(
            queueRetryMin,
            "QUEUE_RETRY_MIN",
            default: outbound.firstRetrySeconds
        )
        outbound.maximumRetrySeconds = try resolveNumber(
            queueRetryMax,
            "QUEUE_RETRY_MAX",
            default: outbound.maximumRetrySeconds
        )
        outbound.queueLifetimeSeconds = try resolveNumber(
            queueLifetime,
            "QUEUE_LIFETIME",
            default: outbound.queueLifetimeSeconds
        )
        outbound.delayWarningSeconds = try resolveNumber(
            queueDelayWarning,
            "QUEUE_DELAY_WARNING",
            default: outbound.delayWarningSeconds
        )
        outbound.tlsPolicy = outboundTls ?? environment("OUTBOUND_TLS") ?? outbound.tlsPolicy
        outbound.localDelivery = localDelivery ?? environment("LOCAL_DELIVERY") ?? outbound.localDelivery
        outbound.mtaSTS = try onOff(
            outboundMtaSts ?? environment("OUTBOUND_MTA_STS"),
            "outbound-mta-sts",
            default: outbound.mtaSTS
        )
        outbound.mtaSTSCAFile = outboundMtaStsCaFile ?? environment("OUTBOUND_MTA_STS_CA_FILE")
        outbound.tlsReporting = try onOff(tlsRpt ?? environment("TLS_RPT"), "tls-rpt", default: outbound.tlsReporting)
        outbound.tlsReportSender = tlsRptFrom ?? environment("TLS_RPT_FROM")
        outbound.tlsReportOrganization = tlsRptOrg ?? environment("TLS_RPT_ORG")
        let policies =
            outboundTlsFor.isEmpty
            ? (environment("OUTBOUND_TLS_FOR")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                ?? [])
            : outboundTlsFor
        for entry in policies {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--outbound-tls-for \(entry): give DOMAIN=POLICY, e.g. example.com=verify")
            }
            outbound.tlsPolicies[parts[0].lowercased()] = parts[1]
        }
        return outbound
    }

    private func onOff(_ value: String?, _ flag: String, default fallback: Bool) throws -> Bool {
        switch value?.lowercased() {
        case nil: fallback
        case "on", "yes", "true", "1": true
        case "off", "no", "false", "0": false
        case let other?: throw ValidationError("--\(flag) \(other): use on or off")
        }
    }
}
