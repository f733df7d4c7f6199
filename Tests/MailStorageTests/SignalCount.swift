import Foundation

/// Counts the signals of a `changeSignals()` stream as they come, for a test to wait on.
final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var counted = 0
    private var reader: Task<Void, Never>?

    init(_ signals: AsyncStream<Void>) {
        reader = Task { [self] in
            for await _ in signals { lock.withLock { counted += 1 } }
        }
    }

    var count: Int { lock.withLock { counted } }

    /// Whether `count` reaches `target` within 60 s (generous: the whole suite shares two cores).
    func reaches(_ target: Int) async throws -> Bool {
        for _ in 0..<3000 {
            if count >= target { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return count >= target
    }

    /// Stops reading, which ends the subscription.
    func stop() { lock.withLock { reader }?.cancel() }
}
