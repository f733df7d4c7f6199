/// The monotonic time the resolver's cache reads; tests move it by hand.
///
/// Where the resolver's cache reads the time: monotonic time since an arbitrary start. Tests inject a
/// clock they move by hand, so expiry is tested on virtual time.
public struct DNSClock: Sendable {
    /// The time now, as time since the clock's start.
    public let now: @Sendable () -> Duration

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> Duration) { self.now = now }

    /// The system's monotonic clock (`ContinuousClock`), from the moment this clock is made.
    public static var continuous: DNSClock {
        let start = ContinuousClock.now
        return DNSClock { ContinuousClock.now - start }
    }
}
