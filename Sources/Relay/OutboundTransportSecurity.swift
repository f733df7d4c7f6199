import Foundation
import MTASTS

/// What the relay needs for RFC 8461 (MTA-STS) and RFC 8460 (TLS-RPT); either may be off.
public struct OutboundTransportSecurity: Sendable {
    /// Finds recipient domains' MTA-STS policies; nil: MTA-STS is not honoured.
    public var policies: STSPolicyResolver?
    /// Counts TLS sessions per policy domain; nil: no TLS-RPT.
    public var ledger: TLSReportLedger?
    /// Where `_smtp._tls` records are read for the daily report.
    public var txt: (any TXTResolving)?
    /// The report's `organization-name`.
    public var organizationName: String
    /// The reports' From and envelope sender, also their `contact-info`.
    public var reportSender: String

    /// Makes the settings.
    public init(
        policies: STSPolicyResolver?,
        ledger: TLSReportLedger?,
        txt: (any TXTResolving)?,
        organizationName: String,
        reportSender: String
    ) {
        self.policies = policies
        self.ledger = ledger
        self.txt = txt
        self.organizationName = organizationName
        self.reportSender = reportSender
    }
}
