import Synchronization

/// Failed logins counted per client address and shared by every listener of a process, so a password
/// guesser gains nothing by opening new connections or by switching between SMTP AUTH and IMAP LOGIN.
///
/// Each failure makes the next answer slower (`delay(afterFailures:)`: one `delayPerFailure` more per
/// failure, up to `maximumDelay`); once an address has failed `failuresBeforeBlock` times, its further
/// attempts are refused without checking the password (SMTP `421 4.7.0`, IMAP `* BYE`) until it has
/// been quiet for `forgetAfter`. A successful login clears the address. Time is passed in, so tests run
/// on virtual time.
///
/// ```swift
/// let throttle = AuthThrottle()
/// guard throttle.check(address: ip) == .allow else { return refuse() }
/// if ok { throttle.succeeded(address: ip) } else { answer(after: throttle.failed(address: ip)) }
/// ```
public final class AuthThrottle: Sendable {
    /// The policy; `AuthThrottleDefaults` gives the defaults.
    public struct Policy: Sendable, Equatable {
        /// Added to the pause before a failed login's answer for each failure from the address.
        public var delayPerFailure: Duration
        /// The longest pause before a failed login's answer.
        public var maximumDelay: Duration
        /// Failures from one address after which its attempts are refused outright.
        public var failuresBeforeBlock: Int
        /// Quiet time after which an address's failures are forgotten.
        public var forgetAfter: Duration
        /// Addresses remembered at once; past it, forgotten entries are dropped, then new addresses
        /// are not tracked (each connection's own limit still applies to them).
        public var maximumAddresses: Int

        /// A policy; every value defaults to `AuthThrottleDefaults`.
        public init(
            delayPerFailure: Duration = AuthThrottleDefaults.delayPerFailure,
            maximumDelay: Duration = AuthThrottleDefaults.maximumDelay,
            failuresBeforeBlock: Int = AuthThrottleDefaults.failuresBeforeBlock,
            forgetAfter: Duration = AuthThrottleDefaults.forgetAfter,
            maximumAddresses: Int = AuthThrottleDefaults.maximumAddresses
        ) {
            self.delayPerFailure = delayPerFailure
            self.maximumDelay = maximumDelay
            self.failuresBeforeBlock = failuresBeforeBlock
            self.forgetAfter = forgetAfter
            self.maximumAddresses = maximumAddresses
        }
    }

    /// Whether a login attempt from an address may be checked at all.
    public enum Verdict: Sendable, Equatable {
        case allow
        /// Too many failures lately: refuse and disconnect without checking the password.
        case refuse
    }

    private struct Record {
        var failures: Int
        var last: ContinuousClock.Instant
    }

    /// The policy in force.
    public let policy: Policy
    private let records = Mutex([String: Record]())

    /// A throttle that remembers nothing yet.
    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Whether `address` may try to log in now.
    public func check(address: String, now: ContinuousClock.Instant = .now) -> Verdict {
        records.withLock { records in
            guard let record = records[address] else { return .allow }
            if now - record.last >= policy.forgetAfter {
                records[address] = nil
                return .allow
            }
            return record.failures >= policy.failuresBeforeBlock ? .refuse : .allow
        }
    }

    /// Records a failed login from `address`; returns how long to wait before answering it.
    @discardableResult
    public func failed(address: String, now: ContinuousClock.Instant = .now) -> Duration {
        let failures = records.withLock { records in
            var record = records[address] ?? Record(failures: 0, last: now)
            if now - record.last >= policy.forgetAfter { record.failures = 0 }
            record.failures += 1
            record.last = now
            if records[address] == nil, records.count >= policy.maximumAddresses {
                records = records.filter { now - $0.value.last < policy.forgetAfter }
                guard records.count < policy.maximumAddresses else { return record.failures }
            }
            records[address] = record
            return record.failures
        }
        return delay(afterFailures: failures)
    }

    /// A successful login: the address's failures are forgotten.
    public func succeeded(address: String) {
        records.withLock { _ = $0.removeValue(forKey: address) }
    }

    /// The pause before answering the `failures`-th failed login.
    public func delay(afterFailures failures: Int) -> Duration {
        min(policy.delayPerFailure * max(failures, 0), policy.maximumDelay)
    }

    /// Addresses remembered now (for tests and metrics).
    public var trackedAddresses: Int { records.withLock { $0.count } }
}

/// The defaults of `AuthThrottle.Policy`.
public enum AuthThrottleDefaults {
    /// One more second of delay per failure from the same address.
    public static let delayPerFailure: Duration = .seconds(1)
    /// At most ten seconds before a failed login is answered.
    public static let maximumDelay: Duration = .seconds(10)
    /// Ten failures from one address, then its attempts are refused: more than a person mistyping.
    public static let failuresBeforeBlock = 10
    /// An address's failures are forgotten after fifteen quiet minutes.
    public static let forgetAfter: Duration = .seconds(15 * 60)
    /// At most 100,000 addresses remembered (a few MB).
    public static let maximumAddresses = 100_000
}
