import Foundation

/// When to try a deferred message again, when to warn its sender, and when to give up.
///
/// It is a pure function of the attempts so far and the arrival time. RFC 5321 §4.5.4.1 advises retry
/// intervals of at least 30 minutes; Postfix's shorter first retry is the default here, every figure a
/// setting.
public struct RetrySchedule: Hashable, Sendable {
    /// The wait after the first failed attempt, in seconds; each later wait doubles it.
    public var firstRetry: TimeInterval
    /// The longest wait between attempts, in seconds.
    public var maximumRetry: TimeInterval
    /// How long after arrival a message is given up and bounced, in seconds.
    public var queueLifetime: TimeInterval
    /// How long after arrival the sender is told that the message is delayed; nil: never.
    public var delayWarning: TimeInterval?

    /// Makes a schedule; the defaults are `RelayDefaults`'s.
    public init(
        firstRetry: TimeInterval = RelayDefaults.firstRetry,
        maximumRetry: TimeInterval = RelayDefaults.maximumRetry,
        queueLifetime: TimeInterval = RelayDefaults.queueLifetime,
        delayWarning: TimeInterval? = RelayDefaults.delayWarning
    ) {
        self.firstRetry = firstRetry
        self.maximumRetry = maximumRetry
        self.queueLifetime = queueLifetime
        self.delayWarning = delayWarning
    }

    /// The wait after the `attempts`-th failed attempt (1-based): first, 2×first, 4×first … up to the maximum.
    public func delay(afterAttempt attempts: Int) -> TimeInterval {
        let doublings = Double(max(0, min(attempts - 1, 30)))
        return min(maximumRetry, firstRetry * pow(2, doublings))
    }

    /// Whether a message that arrived at `arrival` has been in the queue too long to try again.
    public func hasExpired(arrival: Date, now: Date) -> Bool {
        now.timeIntervalSince(arrival) >= queueLifetime
    }

    /// Whether the delay notification is due (once; the caller remembers that it was sent).
    public func isDelayWarningDue(arrival: Date, now: Date) -> Bool {
        guard let delayWarning else { return false }
        return now.timeIntervalSince(arrival) >= delayWarning
    }

    /// The next attempt after a failed one at `now`, never later than the moment the message expires
    /// (so that it is bounced on time rather than after one more long wait).
    public func nextAttempt(afterAttempt attempts: Int, arrival: Date, now: Date) -> Date {
        let next = now.addingTimeInterval(delay(afterAttempt: attempts))
        let expiry = arrival.addingTimeInterval(queueLifetime)
        return min(next, max(expiry, now))
    }
}
