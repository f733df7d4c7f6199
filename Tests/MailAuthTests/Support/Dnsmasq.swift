import DNS
import Foundation
import MailTestSupport
import NIOCore
import NIOPosix
import Testing

/// dnsmasq on 127.0.0.1 serving TXT and A records from its command line, as DNSTests runs it: a
/// daemon with a pid file, killed by that pid afterwards (see DNSTests/DnsmasqTests for why).
enum Dnsmasq {
    static func path() -> String? { Peer.find("dnsmasq") }

    static func freePort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1",
            port: 0
        ).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close().get()
        return port
    }

    /// `--txt-record` for `text`, cut into character-strings of at most 255 octets (a 2048-bit key's
    /// record is longer than one); the texts must hold no commas.
    static func txt(_ name: String, _ text: String) -> String {
        var parts: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            parts.append(String(rest.prefix(255)))
            rest = rest.dropFirst(255)
        }
        return "--txt-record=\(name)," + parts.joined(separator: ",")
    }

    /// Runs `body` with a resolver asking a dnsmasq that serves `records`.
    ///
    /// The records are dnsmasq options such as `txt(...)` and `--host-record=...`; dnsmasq is
    /// authoritative for `.test` and `.example`; the server's port is passed too, for peers that ask it.
    /// Records a test issue when dnsmasq is missing.
    static func with<T>(_ records: [String], _ body: (DNSResolver, Int) async throws -> T) async throws -> T? {
        guard let path = path() else {
            Issue.record("dnsmasq is not installed: run scripts/install-test-deps.sh (apt-get install dnsmasq-base)")
            return nil
        }
        for _ in 0..<5 {
            let port = try await freePort()
            let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent(
                "correo-mailauth-\(UUID().uuidString).pid"
            ).path
            let process = SpawnedProcess()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments =
                [
                    "--port=\(port)", "--pid-file=\(pidFile)", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--user=root", "--local=/test/",
                    "--local=/example/",
                ] + records
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitForExit()
            func stop() {
                if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    kill(pid, SIGKILL)
                }
                try? FileManager.default.removeItem(atPath: pidFile)
            }
            let nameserver = try DNSServerAddress("127.0.0.1:\(port)")
            let probe = DNSResolver(
                configuration: DNSResolverConfiguration(nameservers: [nameserver], timeout: .milliseconds(300))
            )
            // The tests' own questions: dnsmasq answers at once, but a loaded machine may take its time.
            let resolver = DNSResolver(
                configuration: DNSResolverConfiguration(nameservers: [nameserver], timeout: .seconds(10), attempts: 2)
            )
            // Ready when it answers (NXDOMAIN for a name it is authoritative for); at most about 25 s.
            var ready = false
            for _ in 0..<50 {
                if case .nxdomain = try await probe.txt("ready.test") {
                    ready = true
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            guard ready else {
                stop()
                continue
            }
            do {
                let result = try await body(resolver, port)
                stop()
                return result
            } catch {
                stop()
                throw error
            }
        }
        Issue.record("dnsmasq did not start answering on 127.0.0.1 after 5 tries")
        return nil
    }
}
