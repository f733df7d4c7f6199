import DNS
import Foundation
import MailTestSupport
import Testing

@Suite("Nameservers from resolv.conf and --dns-server", .offThePool)
struct ConfigurationTests {
    static let resolvConfs: [(String, [String], Duration, Int)] = [
        ("nameserver 127.0.0.53\n", ["127.0.0.53:53"], .seconds(5), 2),
        (
            "# comment\n; other\nsearch example.test\ndomain example.test\nnameserver 127.0.0.1\nnameserver ::1\n",
            ["127.0.0.1:53", "[::1]:53"], .seconds(5), 2
        ),
        (
            "nameserver 127.0.0.1\nnameserver 127.0.0.2\nnameserver 127.0.0.3\nnameserver 127.0.0.4\n",
            ["127.0.0.1:53", "127.0.0.2:53", "127.0.0.3:53"], .seconds(5), 2
        ),
        ("options rotate timeout:1 attempts:3\nnameserver\t127.0.0.9\r\n", ["127.0.0.9:53"], .seconds(1), 3),
        ("options timeout:99 attempts:99\n", ["127.0.0.1:53"], .seconds(30), 5),
        ("options timeout:0 attempts:x\nnameserver not-an-ip\n", ["127.0.0.1:53"], .seconds(5), 2),
        ("", ["127.0.0.1:53"], .seconds(5), 2),
    ]

    @Test("resolv.conf is read as glibc reads it", arguments: resolvConfs)
    func resolvConf(text: String, servers: [String], timeout: Duration, attempts: Int) {
        let configuration = DNSResolverConfiguration(resolvConf: Array(text.utf8))
        #expect(configuration.nameservers.map(\.description) == servers)
        #expect(configuration.timeout == timeout)
        #expect(configuration.attempts == attempts)
    }

    @Test(
        "servers are IP[:PORT]",
        arguments: [
            ("127.0.0.1", "127.0.0.1:53"), ("127.0.0.1:5353", "127.0.0.1:5353"), ("::1", "[::1]:53"),
            ("[::1]:5353", "[::1]:5353"), ("127.0.0.1:0", nil), ("127.0.0.1:65536", nil), ("localhost", nil),
            ("[::1", nil), ("127.0.0.1:x", nil), ("", nil),
        ] as [(String, String?)]
    )
    func serverAddresses(text: String, expected: String?) {
        #expect((try? DNSServerAddress(text))?.description == expected)
    }

    @Test("the system configuration is read from a file off the event loops, a missing file is an error")
    func systemFile() async throws {
        let path = NSTemporaryDirectory() + "correo-dns-\(UInt64.random(in: 0 ... .max)).conf"
        try Data("nameserver 127.0.0.7\noptions attempts:1\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try await DNSResolverConfiguration.system(path: path)
        #expect(configuration.nameservers.map(\.description) == ["127.0.0.7:53"])
        #expect(configuration.attempts == 1)
        await #expect(throws: DNSError.self) { try await DNSResolverConfiguration.system(path: path + ".missing") }
    }
}
