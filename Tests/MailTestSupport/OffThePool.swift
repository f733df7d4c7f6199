import Foundation

/// Work that blocks a thread for long, run on a thread of its own.
///
/// Every suite of a test run shares Swift's cooperative pool, one thread per core: on a 2-core CI
/// machine, two tests parsing or waiting synchronously for a minute starve every server and client in
/// the process, and unrelated tests hit their time limits. Expectations stay in the test; only the
/// blocking work moves here.
public enum OffThePool {
    /// `body`'s result, computed on a new thread.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
