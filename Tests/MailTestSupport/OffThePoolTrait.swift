import Testing

/// Runs each test of a suite (or one test) on `ThreadedTaskExecutor`: for tests that block a thread while
/// they wait, on a socket, a pipe or a child process, for something the same process must answer.
public struct OffThePoolTrait: SuiteTrait, TestTrait, TestScoping {
    /// Every test of the suite, nested suites included, runs in the scope.
    public var isRecursive: Bool { true }

    /// Runs `function` with `ThreadedTaskExecutor.shared` as its task executor preference.
    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(ThreadedTaskExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffThePoolTrait {
    /// The test (or every test of the suite) runs on threads of its own, off Swift's cooperative pool.
    public static var offThePool: Self { OffThePoolTrait() }
}
