import Foundation
import MailTestSupport
import Testing

/// Issue 13: `correo dns DOMAIN` prints every record of the domain, and `--check` asks a real nameserver
/// (dnsmasq on 127.0.0.1) and reports each record ok, missing or wrong.
@Suite(.offThePool) struct DnsCommandTests {
    /// The flags of a server with the standard ports, as the README's example.
    static let flags = [
        "--hostname", "mail.b.test", "--ip", "127.0.0.1", "--smtp-port", "25", "--submission-port", "587",
        "--smtps-port", "465", "--imap-port", "143", "--imaps-port", "993", "--mta-sts-mode", "enforce",
        "--mta-sts-max-age", "86400",
    ]
    /// The first 20 hex digits of the SHA-256 of "version: STSv1\r\nmode: enforce\r\nmx: mail.b.test\r\n
    /// max_age: 86400\r\n" (python3 hashlib), the policy the flags above publish.
    static let policyID = "c95f97178faed180e905"

    /// A storage folder with both DKIM keys of b.test, and the lines `correo dkim records` prints for them.
    static func storageWithKeys(_ work: TemporaryDirectory) throws -> (storage: String, dkim: [String]) {
        let storage = work.path + "/storage"
        let made = try CorreoBinary.run(["dkim", "keygen", "b.test", "-s", storage])
        try #require(made.status == 0, "\(made.standardError)")
        let records = try CorreoBinary.run(["dkim", "records", "b.test", "-s", storage])
        try #require(records.status == 0, "\(records.standardError)")
        return (storage, records.standardOutput.split(separator: "\n").map(String.init))
    }

    @Test func printsEveryRecordReadyToPaste() throws {
        let work = try TemporaryDirectory(prefix: "correo-dns")
        defer { work.remove() }
        let (storage, dkim) = try Self.storageWithKeys(work)
        try #require(dkim.count == 2)
        let result = try CorreoBinary.run(["dns", "b.test", "-s", storage] + Self.flags)
        try #require(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        let records = lines.filter { !$0.hasPrefix(";") }
        let expected =
            [
                "mail.b.test. IN A 127.0.0.1",
                "b.test. IN MX 10 mail.b.test.",
                #"b.test. IN TXT "v=spf1 ip4:127.0.0.1 -all""#,
            ] + dkim + [
                #"_dmarc.b.test. IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@b.test""#,
                #"_mta-sts.b.test. IN TXT "v=STSv1; id=\#(Self.policyID)""#,
                "mta-sts.b.test. IN CNAME mail.b.test.",
                #"_smtp._tls.b.test. IN TXT "v=TLSRPTv1; rua=mailto:postmaster@b.test""#,
                "_submissions._tcp.b.test. IN SRV 0 1 465 mail.b.test.",
                "_submission._tcp.b.test. IN SRV 10 1 587 mail.b.test.",
                "_imaps._tcp.b.test. IN SRV 0 1 993 mail.b.test.",
                "_imap._tcp.b.test. IN SRV 10 1 143 mail.b.test.",
                "_pop3s._tcp.b.test. IN SRV 0 0 0 .",
                "_pop3._tcp.b.test. IN SRV 0 0 0 .",
                "autoconfig.b.test. IN CNAME mail.b.test.",
                "autodiscover.b.test. IN CNAME mail.b.test.",
                "_autodiscover._tcp.b.test. IN SRV 0 1 443 mail.b.test.",
            ]
        #expect(records.count == expected.count, "\(result.standardOutput)")
        for (line, wanted) in zip(records, expected) { #expect(line == wanted) }
        #expect(lines.contains("; 1.0.0.127.in-addr.arpa. IN PTR mail.b.test."), "\(result.standardOutput)")
        #expect(lines.contains { $0.hasPrefix("; PTR: ") })
    }

    @Test func withoutKeysOrAddressesItSaysSo() throws {
        let work = try TemporaryDirectory(prefix: "correo-dns-bare")
        defer { work.remove() }
        let result = try CorreoBinary.run(["dns", "b.test", "-s", work.path])
        try #require(result.status == 0, "\(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("; DKIM: no keys yet; make them with: correo dkim keygen b.test"))
        #expect(output.contains(#"b.test. IN TXT "v=spf1 mx -all""#))
        #expect(output.contains("b.test. IN MX 10 b.test."))
        // The default ports of correo serve.
        #expect(output.contains("_submissions._tcp.b.test. IN SRV 0 1 2465 b.test."))
        #expect(output.contains("_imaps._tcp.b.test. IN SRV 0 1 1993 b.test."))
    }

    /// The zone of `printsEveryRecordReadyToPaste` as dnsmasq options; `dkim` the records' texts.
    static func zone(dkim: [(selector: String, text: String)], policyID: String = policyID) -> [String] {
        [
            "--host-record=mail.b.test,127.0.0.1",
            "--mx-host=b.test,mail.b.test,10",
            "--txt-record=b.test,v=spf1 ip4:127.0.0.1 -all",
            "--txt-record=_dmarc.b.test,v=DMARC1; p=quarantine; rua=mailto:postmaster@b.test",
            "--txt-record=_mta-sts.b.test,v=STSv1; id=\(policyID)",
            "--cname=mta-sts.b.test,mail.b.test",
            "--txt-record=_smtp._tls.b.test,v=TLSRPTv1; rua=mailto:postmaster@b.test",
            "--srv-host=_submissions._tcp.b.test,mail.b.test,465,0,1",
            "--srv-host=_submission._tcp.b.test,mail.b.test,587,10,1",
            "--srv-host=_imaps._tcp.b.test,mail.b.test,993,0,1",
            "--srv-host=_imap._tcp.b.test,mail.b.test,143,10,1",
            "--srv-host=_pop3s._tcp.b.test",
            "--srv-host=_pop3._tcp.b.test",
            "--cname=autoconfig.b.test,mail.b.test",
            "--cname=autodiscover.b.test,mail.b.test",
            "--srv-host=_autodiscover._tcp.b.test,mail.b.test,443,0,1",
        ]
            + dkim.map { key in
                // dnsmasq's strings are comma-separated, each at most 255 octets (the RSA key is longer).
                var parts: [String] = []
                var rest = Substring(key.text)
                while !rest.isEmpty {
                    parts.append(String(rest.prefix(255)))
                    rest = rest.dropFirst(255)
                }
                return "--txt-record=\(key.selector)._domainkey.b.test," + parts.joined(separator: ",")
            }
    }

    /// The selector and text of each `correo dkim records` line.
    static func keyTexts(_ lines: [String]) -> [(selector: String, text: String)] {
        lines.map { line in
            let selector = String(line.prefix { $0 != "." })
            let strings = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map {
                String($0.element)
            }
            return (selector, strings.joined())
        }
    }

    /// `correo dns b.test --check` against a dnsmasq serving `zone`: its exit status and output.
    static func check(storage: String, zone: [String]) async throws -> (status: Int32?, output: String) {
        let dns = try DnsmasqProcess(records: zone)
        defer { dns.stop() }
        let check = try ChildProcess(
            [CorreoBinary.url.path, "dns", "b.test", "-s", storage, "--check", "--dns-server", "127.0.0.1:\(dns.port)"]
                + flags
        )
        var status = try await check.waitForExit(seconds: 60)
        if status == nil { status = await check.stop() }
        return (status, check.output.text)
    }

    @Test(.timeLimit(.minutes(5)))
    func checkFindsACorrectZoneOk() async throws {
        let work = try TemporaryDirectory(prefix: "correo-dns-ok")
        defer { work.remove() }
        let (storage, dkim) = try Self.storageWithKeys(work)
        let (status, output) = try await Self.check(storage: storage, zone: Self.zone(dkim: Self.keyTexts(dkim)))
        #expect(status == 0, "\(output)")
        // One line per record of the zone, and the PTR that --host-record gives too.
        #expect(output.contains("all 19 records ok"), "\(output)")
        #expect(output.contains("ok      PTR 1.0.0.127.in-addr.arpa. — mail.b.test"), "\(output)")
        #expect(output.contains("ok      SRV _pop3._tcp.b.test. — not offered (target .)"), "\(output)")
    }

    @Test(.timeLimit(.minutes(5)))
    func checkReportsMissingAndWrongRecords() async throws {
        let work = try TemporaryDirectory(prefix: "correo-dns-bad")
        defer { work.remove() }
        let (storage, dkim) = try Self.storageWithKeys(work)
        // One DKIM key unpublished, the DMARC record missing, the MX elsewhere, the SRV on another port,
        // and the MTA-STS id of an older policy.
        var zone = Self.zone(dkim: Array(Self.keyTexts(dkim).prefix(1)), policyID: "20240101")
        zone.removeAll {
            $0.hasPrefix("--txt-record=_dmarc.") || $0.hasPrefix("--mx-host=") || $0.hasPrefix("--srv-host=_imaps.")
        }
        zone += [
            "--mx-host=b.test,other.b.test,10", "--host-record=other.b.test,127.0.0.2",
            "--srv-host=_imaps._tcp.b.test,mail.b.test,994,0,1",
        ]
        let (status, output) = try await Self.check(storage: storage, zone: zone)
        #expect(status == 1, "\(output)")
        let secondKey = Self.keyTexts(dkim)[1].selector
        #expect(output.contains("missing TXT _dmarc.b.test. — no v=DMARC1 record"), "\(output)")
        #expect(output.contains("missing TXT \(secondKey)._domainkey.b.test. — no v=DKIM1 record"), "\(output)")
        #expect(output.contains("wrong   MX b.test. — found MX other.b.test, expected mail.b.test"), "\(output)")
        #expect(
            output.contains(
                "wrong   SRV _imaps._tcp.b.test. — found port 994 on mail.b.test, expected port 993 on mail.b.test"
            ),
            "\(output)"
        )
        #expect(
            output.contains(
                #"wrong   TXT _mta-sts.b.test. — found "v=STSv1; id=20240101", expected "v=STSv1; id=\#(Self.policyID)""#
            ),
            "\(output)"
        )
        #expect(output.contains("ok      TXT b.test. — v=spf1 ip4:127.0.0.1 -all"), "\(output)")
        #expect(output.contains("5 of 19 records need attention"), "\(output)")
    }
}
