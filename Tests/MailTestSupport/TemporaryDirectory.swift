import Foundation

/// A fresh folder under the system's temporary directory, for tests that need real files.
///
/// Each test gets its own, so tests can run in parallel; `remove()` deletes it when done.
public struct TemporaryDirectory: Sendable {
    /// The folder's location.
    public let url: URL

    /// The folder's path, for APIs that take strings.
    public var path: String { url.path }

    /// Creates the folder, named with `prefix` and a random suffix.
    public init(prefix: String = "correo-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Deletes the folder and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Runs `body` with a fresh folder and deletes the folder afterwards, whatever happens.
    public static func with<T>(
        prefix: String = "correo-test",
        _ body: (TemporaryDirectory) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        return try await body(directory)
    }
}
