import Foundation
import Logging
import MailTestSupport

@testable import MailStore

/// A small CRLF message numbered `n`.
func sampleMessage(_ n: Int, body: String = "Hello") -> [UInt8] {
    Array("From: a@b.test\r\nTo: c@d.test\r\nSubject: message \(n)\r\n\r\n\(body) \(n)\r\n".utf8)
}

/// Runs `body` with a fresh store in a temporary folder.
func withStore<T>(_ body: (MailStore, TemporaryDirectory) async throws -> T) async throws -> T {
    try await TemporaryDirectory.with(prefix: "mailstore") { directory in
        let store = MailStore(root: directory.url, logger: Logger(label: "test"))
        return try await body(store, directory)
    }
}

/// The names in a folder, without dot files.
func files(in path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
}
