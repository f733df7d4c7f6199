import DNS
import Foundation
import MailTestSupport
import NIOCore
import NIOPosix
import Testing

/// The resolver against a real nameserver: dnsmasq on 127.0.0.1, authoritative for `example.test`
/// from its command line.
///
/// dnsmasq must be installed (`scripts/install-test-deps.sh` installs dnsmasq-base); without it the test fails, it is
/// never skipped.
@Suite("The resolver against dnsmasq on 127.0.0.1", .offThePool)
struct DnsmasqTests {
    static func dnsmasqPath() -> String? {
        let folders =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/local/sbin", "/sbin"]
        return folders.map { "\($0)/dnsmasq" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A UDP port on 127.0.0.1 that was free a moment ago.
    static func freePort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1",
            port: 0
        ).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close().get()
        return port
    }

    static let arguments = [
        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
        "--conf-file=/dev/null", "--user=root", "--local=/test/",
        "--mx-host=example.test,mx2.example.test,20", "--mx-host=example.test,mx1.example.test,10",
        "--txt-record=example.test,v=spf1 ip4:127.0.0.0/8 ,-all",
        "--host-record=mx1.example.test,127.0.0.2,::ffff:127.0.0.2",
    ]

    /// Runs dnsmasq on `port` as a daemon for `body`, and kills it afterwards whatever happens.
    ///
    /// A daemon, not a child kept by Foundation's `Process`: with a long-lived dnsmasq child, Foundation
    /// was seen to stop reaping the test process's other children (a client stayed a zombie, and tests
    /// in other suites, which run in the same process, waited for it). Its pid comes from its pid file;
    /// SIGKILL, because a process started from Swift's threads inherits a blocked SIGTERM.
    static func withDnsmasq<T>(path: String, port: Int, _ body: () async throws -> T) async throws -> T {
        let pidFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("correo-dnstest-\(UUID().uuidString).pid").path
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port=\(port)", "--pid-file=\(pidFile)"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitForExit()  // the daemon has forked and written its pid file
        func stop() {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        do {
            let result = try await body()
            stop()
            return result
        } catch {
            stop()
            throw error
        }
    }

    @Test("MX, A, AAAA and TXT through dnsmasq")
    func dnsmasq() async throws {
        guard let path = Self.dnsmasqPath() else {
            Issue.record("dnsmasq is not installed: run scripts/install-test-deps.sh (apt-get install dnsmasq-base)")
            return
        }
        // A few tries: the free port may be taken again before dnsmasq binds it.
        for _ in 0..<5 {
            let port = try await Self.freePort()
            let resolver = DNSResolver(
                configuration: DNSResolverConfiguration(
                    nameservers: [try DNSServerAddress("127.0.0.1:\(port)")],
                    // Generous: the full suite runs beside builds on two cores, and one lost UDP
                    // answer is not what this test is about.
                    timeout: .seconds(1),
                    attempts: 3
                )
            )
            let answered = try await Self.withDnsmasq(path: path, port: port) { () async throws -> Bool in
                // Ready when it answers; at most 5 s.
                var ready = false
                for _ in 0..<25 {
                    if case .records = try await resolver.mx("example.test") {
                        ready = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                guard ready else { return false }
                try await Self.expectAnswers(resolver)
                return true
            }
            if answered { return }
        }
        Issue.record("dnsmasq did not start answering on 127.0.0.1 after 5 tries")
    }

    static func expectAnswers(_ resolver: DNSResolver) async throws {
        let mx = try await resolver.mx("example.test")
        #expect(mx.records.map(\.preference) == [10, 20])
        #expect(mx.records.map(\.exchange) == [try DNSName("mx1.example.test"), try DNSName("mx2.example.test")])
        #expect(
            try await resolver.addresses("mx1.example.test").records.map(\.description) == [
                "127.0.0.2", "::ffff:127.0.0.2",
            ]
        )
        #expect(
            try await resolver.txt("example.test").records.map(\.text) == [
                Array("v=spf1 ip4:127.0.0.0/8 -all".utf8)
            ]
        )
        #expect(try await resolver.txt("example.test").records.first?.strings.count == 2)
        #expect(try await resolver.mx("absent.example.test") == .nxdomain)
        #expect(try await resolver.mx("mx1.example.test") == .nodata)
    }
}
