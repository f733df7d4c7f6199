import Foundation
import MailTestSupport
import Testing

/// Issue 15: a server that cannot start says what failed, naming the path, address, port and flag,
/// and exits with the sysexits(3) status for it, instead of printing an error record.
@Suite(.offThePool) struct ServerStartErrorTests {
    static func serve(_ storage: String, _ extra: [String]) -> [String] {
        [
            "serve", "-s", storage, "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port", "0",
            "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
        ] + extra
    }

    @Test func anUnusableStorageFolderIsAnIOError() throws {
        let result = try CorreoBinary.run(Self.serve("/proc/nope/mail", []))
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.contains("cannot create or use the storage folder /proc/nope/mail"))
        #expect(result.standardError.contains("--storage"))
        #expect(!result.standardError.contains("NSCocoaErrorDomain"), "\(result.standardError)")
    }

    @Test func aBindAddressThatIsNoAddressIsAUsageError() throws {
        let storage = try TemporaryDirectory(prefix: "correo-bind")
        defer { storage.remove() }
        let port = try LoopbackPort.free()
        let result = try CorreoBinary.run(
            Self.serve(storage.path, ["--bind", "999.1.1.1", "--smtp-port", String(port)])
        )
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains("--bind 999.1.1.1 is not an IP address"), "\(result.standardError)")
        #expect(!result.standardError.contains("SocketAddressError"), "\(result.standardError)")
    }

    @Test(.timeLimit(.minutes(5)), arguments: ["imap", "http"])
    func aPortInUseIsNamedWithItsFlag(flag: String) async throws {
        let first = try TemporaryDirectory(prefix: "correo-busy-a")
        defer { first.remove() }
        let second = try TemporaryDirectory(prefix: "correo-busy-b")
        defer { second.remove() }
        let holder = try await CorreoServerProcess.start { ports in
            Self.serve(first.path, ["--\(flag)-port", String(ports[0])])
        }
        let result = try CorreoBinary.run(Self.serve(second.path, ["--\(flag)-port", String(holder.port)]))
        await holder.stop()
        #expect(result.status == 69, "\(result.standardError)")
        #expect(
            result.standardError.contains("port \(holder.port) (--\(flag)-port) on 127.0.0.1 is already in use"),
            "\(result.standardError)"
        )
    }
}
