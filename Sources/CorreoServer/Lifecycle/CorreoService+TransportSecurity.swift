import DNS
import Foundation
import Logging
import MTASTS
import Relay

extension CorreoService {
    /// MTA-STS (policies cached in STORAGE/mta-sts/) and TLS-RPT (session counts in STORAGE/tls-rpt/) for
    /// the relay, as `--outbound-mta-sts` and `--tls-rpt` say; nil when both are off.
    static func transportSecurity(
        _ configuration: CorreoConfiguration,
        resolver: DNSResolver,
        logger: Logger
    ) throws -> OutboundTransportSecurity? {
        let outbound = configuration.outbound
        guard outbound.mtaSTS || outbound.tlsReporting else { return nil }
        var policies: STSPolicyResolver?
        if outbound.mtaSTS {
            let fetcher: HTTPSPolicyFetcher
            do {
                fetcher = try HTTPSPolicyFetcher(caFile: outbound.mtaSTSCAFile, resolver: resolver)
            } catch {
                throw ConfigurationError.invalidOutbound(
                    "--outbound-mta-sts-ca-file \(outbound.mtaSTSCAFile ?? ""): \(error)"
                )
            }
            policies = STSPolicyResolver(
                dns: resolver,
                fetcher: fetcher,
                cache: STSPolicyCache(
                    folder: configuration.storage.appendingPathComponent("mta-sts", isDirectory: true)
                ),
                logger: logger
            )
        }
        return OutboundTransportSecurity(
            policies: policies,
            ledger: outbound.tlsReporting
                ? TLSReportLedger(folder: configuration.storage.appendingPathComponent("tls-rpt", isDirectory: true))
                : nil,
            txt: resolver,
            organizationName: outbound.tlsReportOrganization ?? configuration.hostname,
            reportSender: outbound.tlsReportSender ?? "postmaster@\(configuration.hostname)"
        )
    }
}
