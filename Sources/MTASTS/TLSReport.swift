import Foundation

/// The JSON report of RFC 8460 §4.4 for one policy domain and one UTC day.
public struct TLSReport: Sendable, Encodable {
    /// The reporting organisation (`organization-name`).
    public var organizationName: String
    /// The first second of the day covered.
    public var start: Date
    /// Its last second.
    public var end: Date
    /// Where to write about the report (`contact-info`).
    public var contactInfo: String
    /// Unique per report (`report-id`).
    public var reportID: String
    /// The policy domain.
    public var policyDomain: String
    /// The day's tally for that domain.
    public var tally: TLSSessionTally

    /// Makes a report.
    public init(
        organizationName: String,
        start: Date,
        end: Date,
        contactInfo: String,
        reportID: String,
        policyDomain: String,
        tally: TLSSessionTally
    ) {
        self.organizationName = organizationName
        self.start = start
        self.end = end
        self.contactInfo = contactInfo
        self.reportID = reportID
        self.policyDomain = policyDomain
        self.tally = tally
    }

    enum Keys: String, CodingKey {
        case organizationName = "organization-name"
        case dateRange = "date-range"
        case contactInfo = "contact-info"
        case reportID = "report-id"
        case policies
        case start = "start-datetime"
        case end = "end-datetime"
        case policy, summary
        case failureDetails = "failure-details"
        case policyType = "policy-type"
        case policyString = "policy-string"
        case policyDomain = "policy-domain"
        case mxHost = "mx-host"
        case successful = "total-successful-session-count"
        case failed = "total-failure-session-count"
        case resultType = "result-type"
        case receivingMXHostname = "receiving-mx-hostname"
        case receivingIP = "receiving-ip"
        case failedSessionCount = "failed-session-count"
        case failureReasonCode = "failure-reason-code"
    }

    /// Encodes the §4.4 fields.
    public func encode(to encoder: any Encoder) throws {
        var root = encoder.container(keyedBy: Keys.self)
        try root.encode(organizationName, forKey: .organizationName)
        var range = root.nestedContainer(keyedBy: Keys.self, forKey: .dateRange)
        try range.encode(Self.timestamp(start), forKey: .start)
        try range.encode(Self.timestamp(end), forKey: .end)
        try root.encode(contactInfo, forKey: .contactInfo)
        try root.encode(reportID, forKey: .reportID)
        var policies = root.nestedUnkeyedContainer(forKey: .policies)
        var entry = policies.nestedContainer(keyedBy: Keys.self)
        var policy = entry.nestedContainer(keyedBy: Keys.self, forKey: .policy)
        try policy.encode(tally.policyType, forKey: .policyType)
        if !tally.policyString.isEmpty { try policy.encode(tally.policyString, forKey: .policyString) }
        try policy.encode(policyDomain, forKey: .policyDomain)
        if !tally.mxHost.isEmpty { try policy.encode(tally.mxHost, forKey: .mxHost) }
        var summary = entry.nestedContainer(keyedBy: Keys.self, forKey: .summary)
        try summary.encode(tally.successes, forKey: .successful)
        try summary.encode(tally.failureCount, forKey: .failed)
        if !tally.failures.isEmpty {
            var details = entry.nestedUnkeyedContainer(forKey: .failureDetails)
            for failure in tally.failures {
                var detail = details.nestedContainer(keyedBy: Keys.self)
                try detail.encode(failure.resultType.rawValue, forKey: .resultType)
                try detail.encodeIfPresent(failure.receivingMXHostname, forKey: .receivingMXHostname)
                try detail.encodeIfPresent(failure.receivingIP, forKey: .receivingIP)
                try detail.encode(failure.count, forKey: .failedSessionCount)
                try detail.encodeIfPresent(failure.reason, forKey: .failureReasonCode)
            }
        }
    }

    /// The report as JSON text.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// RFC 3339 `date-time` in UTC, as §4.4 wants.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
