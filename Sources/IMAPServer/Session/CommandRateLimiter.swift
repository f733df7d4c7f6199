/// A token bucket for the commands of one connection.
///
/// `burst` commands may arrive at once, after which tokens come back at `commandsPerSecond`. A value with no clock of
/// its own: the caller passes the time (monotonic nanoseconds, e.g. `NIODeadline.uptimeNanoseconds`), so tests move
/// time by hand.
///
/// Whole tokens only, counted in integer nanoseconds, so no rounding drift accumulates however long the
/// connection lives.
public struct CommandRateLimiter: Sendable, Equatable {
    /// What the caller does with the next command.
    public enum Decision: Sendable, Equatable {
        /// A token was taken: run the command now.
        case proceed
        /// The bucket is empty: the next token exists after this many nanoseconds.
        case wait(nanoseconds: UInt64)
    }

    /// Most commands accepted back to back; also the bucket's size.
    public let burst: Int
    /// Nanoseconds for one token to come back.
    public let tokenInterval: UInt64
    /// Tokens in the bucket now.
    public private(set) var tokens: Int
    /// The time up to which refills have been counted.
    private var refilledUntil: UInt64

    /// A full bucket at `now`.
    ///
    /// `burst` and `commandsPerSecond` are at least 1.
    public init(burst: Int, commandsPerSecond: Int, now: UInt64) {
        self.burst = max(1, burst)
        self.tokenInterval = 1_000_000_000 / UInt64(max(1, min(commandsPerSecond, 1_000_000_000)))
        self.tokens = self.burst
        self.refilledUntil = now
    }

    /// The limiter from `IMAPDefaults`.
    public static func imapDefault(now: UInt64) -> CommandRateLimiter {
        CommandRateLimiter(
            burst: IMAPDefaults.commandBurst,
            commandsPerSecond: IMAPDefaults.commandsPerSecond,
            now: now
        )
    }

    /// Takes a token for one command if there is one; otherwise says how long until there is.
    public mutating func take(now: UInt64) -> Decision {
        refill(now: now)
        if tokens > 0 {
            tokens -= 1
            return .proceed
        }
        let elapsed = now > refilledUntil ? now - refilledUntil : 0
        return .wait(nanoseconds: tokenInterval - min(elapsed, tokenInterval - 1))
    }

    /// Adds the tokens earned since the last refill; a full bucket earns nothing, so idle time
    /// never builds more than `burst` of credit.
    private mutating func refill(now: UInt64) {
        guard now > refilledUntil else { return }
        let earned = (now - refilledUntil) / tokenInterval
        guard earned > 0 else { return }
        if earned >= UInt64(burst - tokens) {
            tokens = burst
            refilledUntil = now
        } else {
            tokens += Int(earned)
            refilledUntil += earned * tokenInterval
        }
    }
}
