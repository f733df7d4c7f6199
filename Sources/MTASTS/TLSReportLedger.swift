import Foundation

/// The TLS sessions of one UTC day towards one policy domain, as TLS-RPT reports them (RFC 8460 §4.4).
public struct TLSSessionTally: Sendable, Hashable, Codable {
    /// One line of `failure-details`: sessions that failed the same way at the same place.
    public struct Failure: Sendable, Hashable, Codable {
        /// The result type (§4.3).
        public var resultType: TLSRPTResultType
        /// The MX host the session was with, when one was reached.
        public var receivingMXHostname: String?
        /// Its address.
        public var receivingIP: String?
        /// A short free-text reason (§4.4 `failure-reason-code`).
        public var reason: String?
        /// How many sessions failed so.
        public var count: Int
    }

    /// `sts`, or `no-policy-found`.
    public var policyType: String
    /// The policy as fetched (`policy-string`), empty without one.
    public var policyString: [String]
    /// The policy's MX patterns (`mx-host`).
    public var mxHost: [String]
    /// Sessions that negotiated TLS as the policy wants.
    public var successes: Int = 0
    /// Sessions (or policy look-ups) that failed, grouped.
    public var failures: [Failure] = []

    /// The total of `failures`.
    public var failureCount: Int { failures.reduce(0) { $0 + $1.count } }
}

/// What TLS-RPT is told about one session (or one failed policy fetch).
public enum TLSSessionResult: Sendable, Hashable {
    /// TLS as the policy wants.
    case success
    /// A failure of a result type, at an MX host and address if one was reached.
    case failure(TLSRPTResultType, mx: String?, address: String?, reason: String?)
}

/// Counts TLS sessions per UTC day and policy domain, kept in one JSON file per day under a folder
/// (STORAGE/tls-rpt/); the daily report is made from a finished day's file, which is removed once the
/// reports are queued.
///
/// The file is written at most every `writeInterval` seconds (a busy relay would otherwise rewrite it at
/// every delivery), at a change of day, and by `flush()` when the relay stops: a crash loses at most
/// that interval's counts, which only make a report a little low.
public actor TLSReportLedger {
    /// The folder of the day files.
    public let folder: URL
    /// The longest time counts stay only in memory.
    public let writeInterval: TimeInterval
    /// The day in memory and its tallies.
    private var day: String?
    private var tallies: [String: TLSSessionTally] = [:]
    private var dirty = false
    private var lastWrite: ContinuousClock.Instant?

    /// A ledger in `folder` (made when the first session is recorded).
    public init(folder: URL, writeInterval: TimeInterval = 5) {
        self.folder = folder
        self.writeInterval = writeInterval
    }

    /// Writes the counts not yet on disk.
    public func flush() {
        guard dirty, let day else { return }
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? JSONEncoder.policyCache.encode(tallies).write(to: file(day), options: .atomic)
        dirty = false
        lastWrite = .now
    }

    /// Records one result for `domain` on the UTC day of `now`, under its policy (nil: none found).
    public func record(_ result: TLSSessionResult, domain: String, policy: STSPolicy?, now: Date) {
        let today = Self.utcDay(now)
        if day != today {
            flush()
            day = today
            tallies = load(today)
        }
        let domain = STSPolicy.normalized(domain)
        var tally =
            tallies[domain]
            ?? TLSSessionTally(
                policyType: policy == nil ? "no-policy-found" : "sts",
                policyString: policy?.lines ?? [],
                mxHost: policy?.mx ?? []
            )
        if let policy, tally.policyType != "sts" {
            (tally.policyType, tally.policyString, tally.mxHost) = ("sts", policy.lines, policy.mx)
        }
        switch result {
        case .success:
            tally.successes += 1
        case .failure(let type, let mx, let address, let reason):
            if let index = tally.failures.firstIndex(where: {
                $0.resultType == type && $0.receivingMXHostname == mx && $0.receivingIP == address
            }) {
                tally.failures[index].count += 1
            } else {
                tally.failures.append(
                    .init(resultType: type, receivingMXHostname: mx, receivingIP: address, reason: reason, count: 1)
                )
            }
        }
        tallies[domain] = tally
        dirty = true
        if lastWrite.map({ ContinuousClock.now - $0 >= .seconds(writeInterval) }) ?? true { flush() }
    }

    /// The days with a file that are before the UTC day of `now`: those whose report is due.
    public func finishedDays(now: Date) -> [String] {
        flush()
        let today = Self.utcDay(now)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter { $0 < today }.sorted()
    }

    /// The tallies of a day, by policy domain.
    public func tallies(of day: String) -> [String: TLSSessionTally] {
        self.day == day ? tallies : load(day)
    }

    /// Forgets a day (its reports are queued).
    public func remove(_ day: String) {
        try? FileManager.default.removeItem(at: file(day))
        if self.day == day { (self.day, tallies) = (nil, [:]) }
    }

    private func load(_ day: String) -> [String: TLSSessionTally] {
        guard let data = try? Data(contentsOf: file(day)) else { return [:] }
        return (try? JSONDecoder.policyCache.decode([String: TLSSessionTally].self, from: data)) ?? [:]
    }

    private func file(_ day: String) -> URL { folder.appendingPathComponent(day + ".json") }

    /// The Gregorian calendar in UTC, where TLS-RPT's days begin and end (RFC 8460 §4.4 `date-range`).
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()

    /// `YYYY-MM-DD` of `date` in UTC.
    public static func utcDay(_ date: Date) -> String {
        let calendar = Self.utc
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The first and last second of a `YYYY-MM-DD` UTC day.
    public static func range(of day: String) -> (start: Date, end: Date)? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        let calendar = Self.utc
        guard let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
            return nil
        }
        return (start, start.addingTimeInterval(86_399))
    }
}
