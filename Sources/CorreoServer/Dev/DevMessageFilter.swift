import Foundation

/// What `GET /api/messages` and `/api/messages/wait` select by: each given part must match,
/// text comparisons case-insensitive and by substring (`to=@example.com` finds a whole domain).
public struct DevMessageFilter: Sendable, Equatable {
    /// In an envelope recipient, To or Cc.
    public var to: String?
    /// In the From header (name or address) or MAIL FROM.
    public var from: String?
    /// In the Subject.
    public var subject: String?
    /// Received at or after (compared in whole seconds: the store keeps arrival times so).
    public var since: Date?
    /// Received before.
    public var before: Date?

    /// A filter on the given parts; one with none selects every message.
    public init(to: String? = nil, from: String? = nil, subject: String? = nil, since: Date? = nil, before: Date? = nil)
    {
        self.to = to
        self.from = from
        self.subject = subject
        self.since = since
        self.before = before
    }

    /// Whether `message` is selected.
    public func matches(_ message: DevMessageSummary) -> Bool {
        if let to,
            !Self.contains(to, in: (message.envelope?.recipients ?? []) + (message.to + message.cc).map(\.address))
        {
            return false
        }
        if let from,
            !Self.contains(from, in: message.from.flatMap { [$0.name, $0.address] } + [message.envelope?.sender ?? ""])
        {
            return false
        }
        if let subject, !Self.contains(subject, in: [message.subject]) { return false }
        guard since != nil || before != nil else { return true }
        guard let received = DevTime.parse(message.received) else { return false }
        if let since,
            received < since.addingTimeInterval(-since.timeIntervalSince1970.truncatingRemainder(dividingBy: 1))
        {
            return false
        }
        if let before, received >= before { return false }
        return true
    }

    private static func contains(_ needle: String, in haystack: [String]) -> Bool {
        haystack.contains { $0.range(of: needle, options: [.caseInsensitive]) != nil }
    }
}
